//! The registry of diagnostic codes: every code a diagnostic can carry, with
//! its default severity, the phase that reports it, a one-line summary and
//! its documentation (`docs/<code>.md` beside this file). `docs/diagnostics.md`
//! is generated from it (`markdown`); `frontend/tests/diagnostics_doc.rs`
//! fails when the file is stale.
//!
//! Adding a code: a variant, its `CodeInfo` constant, its row in [`CODES`]
//! and its arm in [`Code::info`] (the compiler names a missing arm), and a
//! page in `docs/`. This
//! module does not decide when a code is reported.

use super::Severity;

/// A diagnostic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    /// `yaml-syntax`: the file is not valid YAML.
    YamlSyntax,
    /// `yaml-limit`: the document is too big, too deep, or expands too many aliases.
    YamlLimit,
    /// `invalid-utf8`: the file is not UTF-8.
    InvalidUtf8,
    /// `missing-key`: a required key is absent, or the file is empty.
    MissingKey,
    /// `unknown-key`: a key that does not belong there.
    UnknownKey,
    /// `duplicate-key`: the same key, env name or argument twice.
    DuplicateKey,
    /// `wrong-type`: for example a list where a string is expected.
    WrongType,
    /// `unsupported-version`: `version` is not `1`.
    UnsupportedVersion,
    /// `invalid-value`: a value of the right type that is not acceptable.
    InvalidValue,
    /// `invalid-name`: an argument or environment variable name that cannot be used.
    InvalidName,
    /// `invalid-stage-name`: a stage name outside `[a-z0-9][a-z0-9_.-]*`, or `scratch`.
    InvalidStageName,
    /// `duplicate-stage`: two stages with the same name.
    DuplicateStage,
    /// `step-kind-missing`: a step without `run`, `copy`, `add`, `mkdir` or `write`.
    StepKindMissing,
    /// `step-kind-ambiguous`: a step with two kinds.
    StepKindAmbiguous,
    /// `unknown-stage`: `target`, `needs` or a likely typo in `from` names no stage.
    UnknownStage,
    /// `stage-cycle`: stages that depend on each other.
    StageCycle,
    /// `variable-syntax`: a malformed `${...}`.
    VariableSyntax,
    /// `undeclared-variable`: `$NAME` where no `NAME` is declared.
    UndeclaredVariable,
    /// `required-variable`: `${NAME:?message}` with `NAME` unset or empty.
    RequiredVariable,
    /// `unknown-target`: `--target` names no stage.
    UnknownTarget,
    /// `invalid-image`: an (expanded) image reference that is not valid.
    InvalidImage,
    /// `unsupported-context`: a `--build-context` of a kind this frontend does not know, or an `input:` the client did not pass.
    UnsupportedContext,
    /// `unresolved-image`: internal: a base image that was not resolved.
    UnresolvedImage,
    /// `secrets-used-in-arg-or-env`: an argument or environment variable whose name says it holds a secret.
    SecretsUsedInArgOrEnv,
    /// `json-args-recommended`: an `image.entrypoint` or `image.cmd` written as a string.
    JsonArgsRecommended,
    /// `workdir-relative-path`: a relative `workdir` in a stage with no absolute one.
    WorkdirRelativePath,
    /// `apt-get-upgrade`: `apt-get upgrade` or `dist-upgrade` in a `run` step.
    AptGetUpgrade,
    /// `sudo-in-run`: `sudo` in a `run` step.
    SudoInRun,
    /// `curl-piped-to-shell`: a download piped straight into a shell.
    CurlPipedToShell,
    /// `cd-in-run`: `cd` as a command of a `run` step.
    CdInRun,
    /// `apt-get-missing-yes`: `apt-get install` without `-y` in a `run` step.
    AptGetMissingYes,
    /// `package-install-without-cache`: a package manager that downloads in a `run` step with no `cache:` mount.
    PackageInstallWithoutCache,
    /// `copy-before-install`: the whole build context copied before a dependency install.
    CopyBeforeInstall,
    /// `artifact-copies-directory`: an artifact `path` that is a whole tree (`/`, `/src`, the builder's `workdir`).
    ArtifactCopiesDirectory,
    /// `sdk-runtime-image`: the target stage starts from a build (SDK) image.
    SdkRuntimeImage,
    /// `reserved-stage-name`: a stage named `context`.
    ReservedStageName,
    /// `redundant-target-platform`: `platform: ${TARGETPLATFORM}`, the default.
    RedundantTargetPlatform,
    /// `from-platform-flag-const-disallowed`: a constant `platform:` on a stage.
    FromPlatformFlagConstDisallowed,
    /// `invalid-default-arg-in-from`: a `from` that uses an argument without a default.
    InvalidDefaultArgInFrom,
    /// `apt-get-no-install-recommends`: `apt-get install` without `--no-install-recommends`.
    AptGetNoInstallRecommends,
    /// `base-image-unpinned`: a base image without a tag, or tagged `latest`.
    BaseImageUnpinned,
    /// `runs-as-root`: the target's image runs as root.
    RunsAsRoot,
    /// `unreachable-stage`: a stage the default target does not reach, that no stage uses and no `description` explains.
    UnreachableStage,
    /// `undefined-var`: a `$NAME` in a `run` command that nothing sets.
    UndefinedVar,
    /// `copy-ignored-file`: a `copy` from the build context of a path the ignore file excludes.
    CopyIgnoredFile,
    /// `invalid-base-image-platform`: a base image resolved for another platform than the stage's.
    InvalidBaseImagePlatform,
    /// `image-unavailable`: the engine cannot resolve a base image: not found, access denied, registry unreachable.
    ImageUnavailable,
    /// `context-file-missing`: a `copy` names a path the build context does not have.
    ContextFileMissing,
    /// `stage-path-missing`: a `copy` or artifact names a path its stage, image or context does not have.
    StagePathMissing,
    /// `secret-not-provided`: a required secret was not given to the build.
    SecretNotProvided,
    /// `ssh-not-provided`: a required ssh agent or key was not forwarded to the build.
    SshNotProvided,
    /// `entitlement-not-granted`: a step needs an entitlement the build was not granted.
    EntitlementNotGranted,
    /// `arg-value-invalid`: an argument's default or `--build-arg` value is not of its `type` or not among its `choices`.
    ArgValueInvalid,
    /// `arg-required`: a `required` argument got no value, or has a `default`.
    ArgRequired,
    /// `stage-left-out`: a stage that its `when`/`unless` leaves out is the target, or is used other than through `needs`.
    StageLeftOut,
    /// `matrix-stage-name`: the bare name of a `matrix` stage where one stage is meant.
    MatrixStageName,
    /// `import-failed`: an imported spec cannot be read, or its import names what it does not have.
    ImportFailed,
    /// `import-cycle`: imports that import each other, or nest deeper than 8.
    ImportCycle,
    /// `lock-invalid`: the lock file beside the spec cannot be read as one.
    LockInvalid,
    /// `lock-missing`: an image or git source the lock file does not name.
    LockMissing,
    /// `download-failed`: an `add: {url}` download failed.
    DownloadFailed,
    /// `checksum-mismatch`: an `add: {url, checksum}` download differs from its `checksum`.
    ChecksumMismatch,
    /// `git-source-failed`: an `add: {git}` source could not be fetched.
    GitSourceFailed,
}

/// When a code is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `spec::parse`: `stagecraft check` and every build.
    Parse,
    /// Compilation, with the build's options: `stagecraft compile` and every build.
    Compile,
    /// Both.
    ParseAndCompile,
    /// A build: the engine's answer to a request, in the spec's terms.
    Build,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Phase::Parse => "parse",
            Phase::Compile => "compile",
            Phase::ParseAndCompile => "parse, compile",
            Phase::Build => "build",
        }
    }
}

/// One code's entry.
pub struct CodeInfo {
    pub code: Code,
    /// The stable kebab-case name users, tests and docs see.
    pub name: &'static str,
    pub severity: Severity,
    pub phase: Phase,
    /// One line, for the index.
    pub summary: &'static str,
    /// Markdown: trigger, example, fix. `{NAME}` placeholders name limits
    /// (see [`markdown`]).
    pub doc: &'static str,
}

const YAML_SYNTAX: CodeInfo = CodeInfo {
    code: Code::YamlSyntax,
    name: "yaml-syntax",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "the file is not valid YAML",
    doc: include_str!("docs/yaml-syntax.md"),
};

const YAML_LIMIT: CodeInfo = CodeInfo {
    code: Code::YamlLimit,
    name: "yaml-limit",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "the document is too big, too deep, or expands too many aliases",
    doc: include_str!("docs/yaml-limit.md"),
};

const INVALID_UTF8: CodeInfo = CodeInfo {
    code: Code::InvalidUtf8,
    name: "invalid-utf8",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "the file is not UTF-8",
    doc: include_str!("docs/invalid-utf8.md"),
};

const MISSING_KEY: CodeInfo = CodeInfo {
    code: Code::MissingKey,
    name: "missing-key",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "a required key is absent, or the file is empty",
    doc: include_str!("docs/missing-key.md"),
};

const UNKNOWN_KEY: CodeInfo = CodeInfo {
    code: Code::UnknownKey,
    name: "unknown-key",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "a key that does not belong there",
    doc: include_str!("docs/unknown-key.md"),
};

const DUPLICATE_KEY: CodeInfo = CodeInfo {
    code: Code::DuplicateKey,
    name: "duplicate-key",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "the same key, env name or argument twice",
    doc: include_str!("docs/duplicate-key.md"),
};

const WRONG_TYPE: CodeInfo = CodeInfo {
    code: Code::WrongType,
    name: "wrong-type",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "for example a list where a string is expected",
    doc: include_str!("docs/wrong-type.md"),
};

const UNSUPPORTED_VERSION: CodeInfo = CodeInfo {
    code: Code::UnsupportedVersion,
    name: "unsupported-version",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "`version` is not `1`",
    doc: include_str!("docs/unsupported-version.md"),
};

const INVALID_VALUE: CodeInfo = CodeInfo {
    code: Code::InvalidValue,
    name: "invalid-value",
    severity: Severity::Error,
    phase: Phase::ParseAndCompile,
    summary: "a value of the right type that is not acceptable",
    doc: include_str!("docs/invalid-value.md"),
};

const INVALID_NAME: CodeInfo = CodeInfo {
    code: Code::InvalidName,
    name: "invalid-name",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "an argument or environment variable name that cannot be used",
    doc: include_str!("docs/invalid-name.md"),
};

const INVALID_STAGE_NAME: CodeInfo = CodeInfo {
    code: Code::InvalidStageName,
    name: "invalid-stage-name",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "a stage name outside `[a-z0-9][a-z0-9_.-]*`, or `scratch`",
    doc: include_str!("docs/invalid-stage-name.md"),
};

const DUPLICATE_STAGE: CodeInfo = CodeInfo {
    code: Code::DuplicateStage,
    name: "duplicate-stage",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "two stages with the same name",
    doc: include_str!("docs/duplicate-stage.md"),
};

const STEP_KIND_MISSING: CodeInfo = CodeInfo {
    code: Code::StepKindMissing,
    name: "step-kind-missing",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "a step without `run`, `copy`, `add`, `mkdir` or `write`",
    doc: include_str!("docs/step-kind-missing.md"),
};

const STEP_KIND_AMBIGUOUS: CodeInfo = CodeInfo {
    code: Code::StepKindAmbiguous,
    name: "step-kind-ambiguous",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "a step with two kinds",
    doc: include_str!("docs/step-kind-ambiguous.md"),
};

const UNKNOWN_STAGE: CodeInfo = CodeInfo {
    code: Code::UnknownStage,
    name: "unknown-stage",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "`target`, `needs` or a likely typo in `from` names no stage",
    doc: include_str!("docs/unknown-stage.md"),
};

const STAGE_CYCLE: CodeInfo = CodeInfo {
    code: Code::StageCycle,
    name: "stage-cycle",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "stages that depend on each other",
    doc: include_str!("docs/stage-cycle.md"),
};

const VARIABLE_SYNTAX: CodeInfo = CodeInfo {
    code: Code::VariableSyntax,
    name: "variable-syntax",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "a malformed `${...}`",
    doc: include_str!("docs/variable-syntax.md"),
};

const UNDECLARED_VARIABLE: CodeInfo = CodeInfo {
    code: Code::UndeclaredVariable,
    name: "undeclared-variable",
    severity: Severity::Error,
    phase: Phase::Compile,
    summary: "`$NAME` where no `NAME` is declared",
    doc: include_str!("docs/undeclared-variable.md"),
};

const REQUIRED_VARIABLE: CodeInfo = CodeInfo {
    code: Code::RequiredVariable,
    name: "required-variable",
    severity: Severity::Error,
    phase: Phase::Compile,
    summary: "`${NAME:?message}` with `NAME` unset or empty",
    doc: include_str!("docs/required-variable.md"),
};

const UNKNOWN_TARGET: CodeInfo = CodeInfo {
    code: Code::UnknownTarget,
    name: "unknown-target",
    severity: Severity::Error,
    phase: Phase::Compile,
    summary: "`--target` names no stage",
    doc: include_str!("docs/unknown-target.md"),
};

const INVALID_IMAGE: CodeInfo = CodeInfo {
    code: Code::InvalidImage,
    name: "invalid-image",
    severity: Severity::Error,
    phase: Phase::Compile,
    summary: "an (expanded) image reference that is not valid",
    doc: include_str!("docs/invalid-image.md"),
};

const UNSUPPORTED_CONTEXT: CodeInfo = CodeInfo {
    code: Code::UnsupportedContext,
    name: "unsupported-context",
    severity: Severity::Error,
    phase: Phase::Compile,
    summary: "a `--build-context` of a kind this frontend does not know, or an `input:` the client did not pass",
    doc: include_str!("docs/unsupported-context.md"),
};

const UNRESOLVED_IMAGE: CodeInfo = CodeInfo {
    code: Code::UnresolvedImage,
    name: "unresolved-image",
    severity: Severity::Error,
    phase: Phase::Compile,
    summary: "internal: a base image that was not resolved",
    doc: include_str!("docs/unresolved-image.md"),
};

const SECRETS_USED_IN_ARG_OR_ENV: CodeInfo = CodeInfo {
    code: Code::SecretsUsedInArgOrEnv,
    name: "secrets-used-in-arg-or-env",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "an argument or environment variable whose name says it holds a secret",
    doc: include_str!("docs/secrets-used-in-arg-or-env.md"),
};

const JSON_ARGS_RECOMMENDED: CodeInfo = CodeInfo {
    code: Code::JsonArgsRecommended,
    name: "json-args-recommended",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "an `image.entrypoint` or `image.cmd` written as a string",
    doc: include_str!("docs/json-args-recommended.md"),
};

const WORKDIR_RELATIVE_PATH: CodeInfo = CodeInfo {
    code: Code::WorkdirRelativePath,
    name: "workdir-relative-path",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "a relative `workdir` in a stage with no absolute one",
    doc: include_str!("docs/workdir-relative-path.md"),
};

const APT_GET_UPGRADE: CodeInfo = CodeInfo {
    code: Code::AptGetUpgrade,
    name: "apt-get-upgrade",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "`apt-get upgrade` or `dist-upgrade` in a `run` step",
    doc: include_str!("docs/apt-get-upgrade.md"),
};

const SUDO_IN_RUN: CodeInfo = CodeInfo {
    code: Code::SudoInRun,
    name: "sudo-in-run",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "`sudo` in a `run` step",
    doc: include_str!("docs/sudo-in-run.md"),
};

const CURL_PIPED_TO_SHELL: CodeInfo = CodeInfo {
    code: Code::CurlPipedToShell,
    name: "curl-piped-to-shell",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "a download piped straight into a shell",
    doc: include_str!("docs/curl-piped-to-shell.md"),
};

const CD_IN_RUN: CodeInfo = CodeInfo {
    code: Code::CdInRun,
    name: "cd-in-run",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "`cd` as a command of a `run` step",
    doc: include_str!("docs/cd-in-run.md"),
};

const APT_GET_MISSING_YES: CodeInfo = CodeInfo {
    code: Code::AptGetMissingYes,
    name: "apt-get-missing-yes",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "`apt-get install` without `-y` in a `run` step",
    doc: include_str!("docs/apt-get-missing-yes.md"),
};

const PACKAGE_INSTALL_WITHOUT_CACHE: CodeInfo = CodeInfo {
    code: Code::PackageInstallWithoutCache,
    name: "package-install-without-cache",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "a package manager that downloads in a `run` step with no `cache:` mount",
    doc: include_str!("docs/package-install-without-cache.md"),
};

const COPY_BEFORE_INSTALL: CodeInfo = CodeInfo {
    code: Code::CopyBeforeInstall,
    name: "copy-before-install",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "the whole build context copied before a dependency install",
    doc: include_str!("docs/copy-before-install.md"),
};

const ARTIFACT_COPIES_DIRECTORY: CodeInfo = CodeInfo {
    code: Code::ArtifactCopiesDirectory,
    name: "artifact-copies-directory",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "an artifact `path` that is a whole tree (`/`, `/src`, the builder's `workdir`)",
    doc: include_str!("docs/artifact-copies-directory.md"),
};

const SDK_RUNTIME_IMAGE: CodeInfo = CodeInfo {
    code: Code::SdkRuntimeImage,
    name: "sdk-runtime-image",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "the target stage starts from a build (SDK) image",
    doc: include_str!("docs/sdk-runtime-image.md"),
};

const RESERVED_STAGE_NAME: CodeInfo = CodeInfo {
    code: Code::ReservedStageName,
    name: "reserved-stage-name",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "a stage named `context`",
    doc: include_str!("docs/reserved-stage-name.md"),
};

const REDUNDANT_TARGET_PLATFORM: CodeInfo = CodeInfo {
    code: Code::RedundantTargetPlatform,
    name: "redundant-target-platform",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "`platform: ${TARGETPLATFORM}`, the default",
    doc: include_str!("docs/redundant-target-platform.md"),
};

const FROM_PLATFORM_FLAG_CONST_DISALLOWED: CodeInfo = CodeInfo {
    code: Code::FromPlatformFlagConstDisallowed,
    name: "from-platform-flag-const-disallowed",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "a constant `platform:` on a stage",
    doc: include_str!("docs/from-platform-flag-const-disallowed.md"),
};

const INVALID_DEFAULT_ARG_IN_FROM: CodeInfo = CodeInfo {
    code: Code::InvalidDefaultArgInFrom,
    name: "invalid-default-arg-in-from",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "a `from` that uses an argument without a default",
    doc: include_str!("docs/invalid-default-arg-in-from.md"),
};

const APT_GET_NO_INSTALL_RECOMMENDS: CodeInfo = CodeInfo {
    code: Code::AptGetNoInstallRecommends,
    name: "apt-get-no-install-recommends",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "`apt-get install` without `--no-install-recommends`",
    doc: include_str!("docs/apt-get-no-install-recommends.md"),
};

const BASE_IMAGE_UNPINNED: CodeInfo = CodeInfo {
    code: Code::BaseImageUnpinned,
    name: "base-image-unpinned",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "a base image without a tag, or tagged `latest`",
    doc: include_str!("docs/base-image-unpinned.md"),
};

const RUNS_AS_ROOT: CodeInfo = CodeInfo {
    code: Code::RunsAsRoot,
    name: "runs-as-root",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "the target's image runs as root",
    doc: include_str!("docs/runs-as-root.md"),
};

const UNREACHABLE_STAGE: CodeInfo = CodeInfo {
    code: Code::UnreachableStage,
    name: "unreachable-stage",
    severity: Severity::Warning,
    phase: Phase::Parse,
    summary: "a stage the default target does not reach, that no stage uses and no `description` explains",
    doc: include_str!("docs/unreachable-stage.md"),
};

const UNDEFINED_VAR: CodeInfo = CodeInfo {
    code: Code::UndefinedVar,
    name: "undefined-var",
    severity: Severity::Warning,
    phase: Phase::Compile,
    summary: "a `$NAME` in a `run` command that nothing sets",
    doc: include_str!("docs/undefined-var.md"),
};

const COPY_IGNORED_FILE: CodeInfo = CodeInfo {
    code: Code::CopyIgnoredFile,
    name: "copy-ignored-file",
    severity: Severity::Warning,
    phase: Phase::Compile,
    summary: "a `copy` from the build context of a path the ignore file excludes",
    doc: include_str!("docs/copy-ignored-file.md"),
};

const INVALID_BASE_IMAGE_PLATFORM: CodeInfo = CodeInfo {
    code: Code::InvalidBaseImagePlatform,
    name: "invalid-base-image-platform",
    severity: Severity::Warning,
    phase: Phase::Compile,
    summary: "a base image resolved for another platform than the stage's",
    doc: include_str!("docs/invalid-base-image-platform.md"),
};

const IMAGE_UNAVAILABLE: CodeInfo = CodeInfo {
    code: Code::ImageUnavailable,
    name: "image-unavailable",
    severity: Severity::Error,
    phase: Phase::Build,
    summary: "the engine cannot resolve an image: not found, access denied, registry unreachable",
    doc: include_str!("docs/image-unavailable.md"),
};

const CONTEXT_FILE_MISSING: CodeInfo = CodeInfo {
    code: Code::ContextFileMissing,
    name: "context-file-missing",
    severity: Severity::Error,
    phase: Phase::Build,
    summary: "a `copy` names a path the build context does not have",
    doc: include_str!("docs/context-file-missing.md"),
};

const STAGE_PATH_MISSING: CodeInfo = CodeInfo {
    code: Code::StagePathMissing,
    name: "stage-path-missing",
    severity: Severity::Error,
    phase: Phase::Build,
    summary: "a `copy` or artifact names a path its stage, image or context does not have",
    doc: include_str!("docs/stage-path-missing.md"),
};

const SECRET_NOT_PROVIDED: CodeInfo = CodeInfo {
    code: Code::SecretNotProvided,
    name: "secret-not-provided",
    severity: Severity::Error,
    phase: Phase::Build,
    summary: "a required secret was not given to the build",
    doc: include_str!("docs/secret-not-provided.md"),
};

const SSH_NOT_PROVIDED: CodeInfo = CodeInfo {
    code: Code::SshNotProvided,
    name: "ssh-not-provided",
    severity: Severity::Error,
    phase: Phase::Build,
    summary: "a required ssh agent or key was not forwarded to the build",
    doc: include_str!("docs/ssh-not-provided.md"),
};

const ENTITLEMENT_NOT_GRANTED: CodeInfo = CodeInfo {
    code: Code::EntitlementNotGranted,
    name: "entitlement-not-granted",
    severity: Severity::Error,
    phase: Phase::Build,
    summary: "a step needs an entitlement (`network.host`, `security.insecure`) the build was not granted",
    doc: include_str!("docs/entitlement-not-granted.md"),
};

const ARG_VALUE_INVALID: CodeInfo = CodeInfo {
    code: Code::ArgValueInvalid,
    name: "arg-value-invalid",
    severity: Severity::Error,
    phase: Phase::ParseAndCompile,
    summary: "an argument's default or `--build-arg` value is not of its `type` or not among its `choices`",
    doc: include_str!("docs/arg-value-invalid.md"),
};

const ARG_REQUIRED: CodeInfo = CodeInfo {
    code: Code::ArgRequired,
    name: "arg-required",
    severity: Severity::Error,
    phase: Phase::ParseAndCompile,
    summary: "a `required` argument got no value from the build, or has a `default`",
    doc: include_str!("docs/arg-required.md"),
};

const STAGE_LEFT_OUT: CodeInfo = CodeInfo {
    code: Code::StageLeftOut,
    name: "stage-left-out",
    severity: Severity::Error,
    phase: Phase::Compile,
    summary: "a stage that its `when`/`unless` leaves out is the target, or is used other than through `needs`",
    doc: include_str!("docs/stage-left-out.md"),
};

const MATRIX_STAGE_NAME: CodeInfo = CodeInfo {
    code: Code::MatrixStageName,
    name: "matrix-stage-name",
    severity: Severity::Error,
    phase: Phase::ParseAndCompile,
    summary: "the bare name of a `matrix` stage in `from`, `copy`, `artifacts`, `mounts` or as the target, where one instance is meant",
    doc: include_str!("docs/matrix-stage-name.md"),
};

const IMPORT_FAILED: CodeInfo = CodeInfo {
    code: Code::ImportFailed,
    name: "import-failed",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "an imported spec cannot be read (a missing file, repository or image), or its import gives an argument it does not declare",
    doc: include_str!("docs/import-failed.md"),
};

const IMPORT_CYCLE: CodeInfo = CodeInfo {
    code: Code::ImportCycle,
    name: "import-cycle",
    severity: Severity::Error,
    phase: Phase::Parse,
    summary: "specs that import each other, or imports nested deeper than 8",
    doc: include_str!("docs/import-cycle.md"),
};

const LOCK_INVALID: CodeInfo = CodeInfo {
    code: Code::LockInvalid,
    name: "lock-invalid",
    severity: Severity::Error,
    phase: Phase::Build,
    summary: "a lock file beside the spec that is not one",
    doc: include_str!("docs/lock-invalid.md"),
};

const LOCK_MISSING: CodeInfo = CodeInfo {
    code: Code::LockMissing,
    name: "lock-missing",
    severity: Severity::Warning,
    phase: Phase::Build,
    summary: "an image or git source the lock file does not pin",
    doc: include_str!("docs/lock-missing.md"),
};

const DOWNLOAD_FAILED: CodeInfo = CodeInfo {
    code: Code::DownloadFailed,
    name: "download-failed",
    severity: Severity::Error,
    phase: Phase::Build,
    summary: "an `add: {url}` download failed: an HTTP status, a server that cannot be reached, a TLS certificate not trusted",
    doc: include_str!("docs/download-failed.md"),
};

const CHECKSUM_MISMATCH: CodeInfo = CodeInfo {
    code: Code::ChecksumMismatch,
    name: "checksum-mismatch",
    severity: Severity::Error,
    phase: Phase::Build,
    summary: "an `add: {url, checksum}` download differs from its `checksum`",
    doc: include_str!("docs/checksum-mismatch.md"),
};

const GIT_SOURCE_FAILED: CodeInfo = CodeInfo {
    code: Code::GitSourceFailed,
    name: "git-source-failed",
    severity: Severity::Error,
    phase: Phase::Build,
    summary: "an `add: {git}` source could not be fetched: no such ref, no such repository, credentials needed",
    doc: include_str!("docs/git-source-failed.md"),
};

/// Every code, in the order the docs list them.
pub const CODES: &[CodeInfo] = &[
    YAML_SYNTAX,
    YAML_LIMIT,
    INVALID_UTF8,
    MISSING_KEY,
    UNKNOWN_KEY,
    DUPLICATE_KEY,
    WRONG_TYPE,
    UNSUPPORTED_VERSION,
    INVALID_VALUE,
    INVALID_NAME,
    INVALID_STAGE_NAME,
    DUPLICATE_STAGE,
    STEP_KIND_MISSING,
    STEP_KIND_AMBIGUOUS,
    UNKNOWN_STAGE,
    STAGE_CYCLE,
    VARIABLE_SYNTAX,
    UNDECLARED_VARIABLE,
    REQUIRED_VARIABLE,
    UNKNOWN_TARGET,
    INVALID_IMAGE,
    UNSUPPORTED_CONTEXT,
    UNRESOLVED_IMAGE,
    SECRETS_USED_IN_ARG_OR_ENV,
    JSON_ARGS_RECOMMENDED,
    WORKDIR_RELATIVE_PATH,
    APT_GET_UPGRADE,
    SUDO_IN_RUN,
    CURL_PIPED_TO_SHELL,
    CD_IN_RUN,
    APT_GET_MISSING_YES,
    PACKAGE_INSTALL_WITHOUT_CACHE,
    COPY_BEFORE_INSTALL,
    ARTIFACT_COPIES_DIRECTORY,
    SDK_RUNTIME_IMAGE,
    RESERVED_STAGE_NAME,
    REDUNDANT_TARGET_PLATFORM,
    FROM_PLATFORM_FLAG_CONST_DISALLOWED,
    INVALID_DEFAULT_ARG_IN_FROM,
    APT_GET_NO_INSTALL_RECOMMENDS,
    BASE_IMAGE_UNPINNED,
    RUNS_AS_ROOT,
    UNREACHABLE_STAGE,
    UNDEFINED_VAR,
    COPY_IGNORED_FILE,
    INVALID_BASE_IMAGE_PLATFORM,
    IMAGE_UNAVAILABLE,
    CONTEXT_FILE_MISSING,
    STAGE_PATH_MISSING,
    SECRET_NOT_PROVIDED,
    SSH_NOT_PROVIDED,
    ENTITLEMENT_NOT_GRANTED,
    ARG_VALUE_INVALID,
    ARG_REQUIRED,
    STAGE_LEFT_OUT,
    MATRIX_STAGE_NAME,
    IMPORT_FAILED,
    IMPORT_CYCLE,
    LOCK_INVALID,
    LOCK_MISSING,
    DOWNLOAD_FAILED,
    CHECKSUM_MISMATCH,
    GIT_SOURCE_FAILED,
];

/// The lint rules that run only when a `# check=experimental=…` line (or
/// `BUILDKIT_DOCKERFILE_CHECK`) names them or says `all`, as the Dockerfile
/// frontend's experimental rules do: opinions that most specs would get.
pub const EXPERIMENTAL: &[Code] = &[
    Code::BaseImageUnpinned,
    Code::RunsAsRoot,
    Code::UnreachableStage,
];

impl Code {
    /// This code's registry entry.
    pub fn info(self) -> &'static CodeInfo {
        match self {
            Code::YamlSyntax => &YAML_SYNTAX,
            Code::YamlLimit => &YAML_LIMIT,
            Code::InvalidUtf8 => &INVALID_UTF8,
            Code::MissingKey => &MISSING_KEY,
            Code::UnknownKey => &UNKNOWN_KEY,
            Code::DuplicateKey => &DUPLICATE_KEY,
            Code::WrongType => &WRONG_TYPE,
            Code::UnsupportedVersion => &UNSUPPORTED_VERSION,
            Code::InvalidValue => &INVALID_VALUE,
            Code::InvalidName => &INVALID_NAME,
            Code::InvalidStageName => &INVALID_STAGE_NAME,
            Code::DuplicateStage => &DUPLICATE_STAGE,
            Code::StepKindMissing => &STEP_KIND_MISSING,
            Code::StepKindAmbiguous => &STEP_KIND_AMBIGUOUS,
            Code::UnknownStage => &UNKNOWN_STAGE,
            Code::StageCycle => &STAGE_CYCLE,
            Code::VariableSyntax => &VARIABLE_SYNTAX,
            Code::UndeclaredVariable => &UNDECLARED_VARIABLE,
            Code::RequiredVariable => &REQUIRED_VARIABLE,
            Code::UnknownTarget => &UNKNOWN_TARGET,
            Code::InvalidImage => &INVALID_IMAGE,
            Code::UnsupportedContext => &UNSUPPORTED_CONTEXT,
            Code::UnresolvedImage => &UNRESOLVED_IMAGE,
            Code::SecretsUsedInArgOrEnv => &SECRETS_USED_IN_ARG_OR_ENV,
            Code::JsonArgsRecommended => &JSON_ARGS_RECOMMENDED,
            Code::WorkdirRelativePath => &WORKDIR_RELATIVE_PATH,
            Code::AptGetUpgrade => &APT_GET_UPGRADE,
            Code::SudoInRun => &SUDO_IN_RUN,
            Code::CurlPipedToShell => &CURL_PIPED_TO_SHELL,
            Code::CdInRun => &CD_IN_RUN,
            Code::AptGetMissingYes => &APT_GET_MISSING_YES,
            Code::PackageInstallWithoutCache => &PACKAGE_INSTALL_WITHOUT_CACHE,
            Code::CopyBeforeInstall => &COPY_BEFORE_INSTALL,
            Code::ArtifactCopiesDirectory => &ARTIFACT_COPIES_DIRECTORY,
            Code::SdkRuntimeImage => &SDK_RUNTIME_IMAGE,
            Code::ReservedStageName => &RESERVED_STAGE_NAME,
            Code::RedundantTargetPlatform => &REDUNDANT_TARGET_PLATFORM,
            Code::FromPlatformFlagConstDisallowed => &FROM_PLATFORM_FLAG_CONST_DISALLOWED,
            Code::InvalidDefaultArgInFrom => &INVALID_DEFAULT_ARG_IN_FROM,
            Code::AptGetNoInstallRecommends => &APT_GET_NO_INSTALL_RECOMMENDS,
            Code::BaseImageUnpinned => &BASE_IMAGE_UNPINNED,
            Code::RunsAsRoot => &RUNS_AS_ROOT,
            Code::UnreachableStage => &UNREACHABLE_STAGE,
            Code::UndefinedVar => &UNDEFINED_VAR,
            Code::CopyIgnoredFile => &COPY_IGNORED_FILE,
            Code::InvalidBaseImagePlatform => &INVALID_BASE_IMAGE_PLATFORM,
            Code::ImageUnavailable => &IMAGE_UNAVAILABLE,
            Code::ContextFileMissing => &CONTEXT_FILE_MISSING,
            Code::StagePathMissing => &STAGE_PATH_MISSING,
            Code::SecretNotProvided => &SECRET_NOT_PROVIDED,
            Code::SshNotProvided => &SSH_NOT_PROVIDED,
            Code::EntitlementNotGranted => &ENTITLEMENT_NOT_GRANTED,
            Code::ArgValueInvalid => &ARG_VALUE_INVALID,
            Code::ArgRequired => &ARG_REQUIRED,
            Code::StageLeftOut => &STAGE_LEFT_OUT,
            Code::MatrixStageName => &MATRIX_STAGE_NAME,
            Code::ImportFailed => &IMPORT_FAILED,
            Code::ImportCycle => &IMPORT_CYCLE,
            Code::LockInvalid => &LOCK_INVALID,
            Code::LockMissing => &LOCK_MISSING,
            Code::DownloadFailed => &DOWNLOAD_FAILED,
            Code::ChecksumMismatch => &CHECKSUM_MISMATCH,
            Code::GitSourceFailed => &GIT_SOURCE_FAILED,
        }
    }

    /// The kebab-case name, e.g. `unknown-key`.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The code named `name`.
    pub fn from_name(name: &str) -> Option<Code> {
        CODES.iter().find(|i| i.name == name).map(|i| i.code)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.name() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

impl PartialEq<String> for Code {
    fn eq(&self, other: &String) -> bool {
        self.name() == other
    }
}

/// The limits the docs quote, by placeholder name.
fn limits() -> Vec<(&'static str, String)> {
    use crate::spec::raw;
    vec![
        ("MAX_SPEC_MIB", (raw::MAX_SPEC_BYTES >> 20).to_string()),
        ("MAX_SPEC_BYTES", grouped(raw::MAX_SPEC_BYTES)),
        ("MAX_DEPTH", grouped(raw::MAX_DEPTH)),
        ("MAX_NODES", grouped(raw::MAX_NODES)),
        ("MAX_ALIASES", grouped(raw::MAX_ALIASES)),
        ("MAX_REPLAYED_EVENTS", grouped(raw::MAX_REPLAYED_EVENTS)),
        ("MAX_NESTING", grouped(crate::spec::vars::MAX_NESTING)),
        ("MAX_RENDERED", grouped(super::MAX_RENDERED)),
    ]
}

/// `4194304` as `4 194 304`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A code's documentation page, its limits filled in (also SARIF's help
/// and the language server's hover).
pub fn page(info: &CodeInfo) -> String {
    let mut doc = info.doc.to_owned();
    for (name, value) in limits() {
        doc = doc.replace(&format!("{{{name}}}"), &value);
    }
    doc
}

/// The generated part of `docs/diagnostics.md`: the index and one section per code.
pub fn markdown() -> String {
    let mut out =
        String::from("## Index\n\n| code | severity | phase | meaning |\n|---|---|---|---|\n");
    for i in CODES {
        out.push_str(&format!(
            "| [`{0}`](#{0}) | {1} | {2} | {3} |\n",
            i.name,
            if EXPERIMENTAL.contains(&i.code) {
                "warning"
            } else {
                i.severity.as_str()
            },
            i.phase.as_str(),
            i.summary
        ));
    }
    out.push_str("\n---\n");
    for i in CODES {
        out.push_str(&format!("\n### `{}`\n\n{}", i.name, page(i)));
    }
    out.push_str("\n---\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_row_with_a_unique_name_and_a_page() {
        for (n, i) in CODES.iter().enumerate() {
            assert_eq!(i.code.info().name, i.name);
            assert!(CODES[..n]
                .iter()
                .all(|o| o.name != i.name && o.code != i.code));
            assert!(i.doc.contains("**Trigger:**"), "{}", i.name);
            assert_eq!(Code::from_name(i.name), Some(i.code));
        }
    }

    #[test]
    fn limits_are_grouped_by_thousands() {
        assert_eq!(grouped(4_194_304), "4 194 304");
        assert_eq!(grouped(1000), "1 000");
        assert_eq!(grouped(32), "32");
        assert!(!markdown().contains("{MAX_"));
    }
}
