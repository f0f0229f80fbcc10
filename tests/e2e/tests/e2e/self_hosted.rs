//! The frontend image built by the frontend (issue 13): the root
//! `stagecraft.yaml` cross-compiles the static binary on the build platform
//! for linux/amd64 and linux/arm64 (no emulation for the compile), with
//! Debian sid's rustc from the `toolchains/rust-cross:sid` image; both
//! binaries run (the arm64 one under `qemu-aarch64-static`); the image it
//! makes builds the examples as the image under test does; the `Dockerfile`
//! gives the same binary bytes; under `SOURCE_DATE_EPOCH` a rebuild that
//! re-runs every step pushes the same digest; and `scripts/release.sh`
//! pushes the channel tags to the local registry.
//!
//! What is built is the checkout's HEAD commit, as a release is: a clone of
//! it is the build context (uncommitted changes are not in it). The crates
//! come vendored (`cargo vendor` on the host) through the named context
//! `crates`, because `run` steps have no network here. Main lane only: the
//! toolchain image and the registry are there.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use e2e::lanes::Feature;
use e2e::matrix::{case, Case};
use e2e::serve::git;
use e2e::{files_below, unique, workdir, Build, Engine};

/// A build of the root spec for both platforms, pushed to the registry and
/// exported to files, shared by the cases.
struct SelfHosted {
    /// The clone of HEAD: the build context.
    src: PathBuf,
    /// `cargo vendor` output, the named context `crates`.
    crates: PathBuf,
    /// HEAD and its commit time.
    revision: String,
    epoch: String,
    /// `BUILDKIT_CACHE_MOUNT_NS=…` of the first build (its own cache mounts).
    ns: String,
    /// The pushed image and its digest.
    image: String,
    digest: String,
    /// The exported binaries: `linux_amd64/stagecraft`, `linux_arm64/stagecraft`.
    out: PathBuf,
}

const SOURCE: &str = "https://stagecraft.invalid/e2e";

/// The locked crates, vendored once per Cargo.lock under target/.
fn vendored() -> PathBuf {
    let repo = e2e::repo();
    let lock = std::fs::read(repo.join("Cargo.lock")).unwrap();
    let dir = repo
        .join("target/e2e-crates")
        .join(format!("{:016x}", e2e::oci::fnv1a(&lock)));
    if dir.join(".complete").exists() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    e2e::oci::run(
        Command::new("cargo")
            .args(["vendor", "--locked", "--quiet", "--manifest-path"])
            .arg(repo.join("Cargo.toml"))
            .arg(&dir),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join(".complete"), "").unwrap();
    dir
}

/// The build arguments every build of the root spec here gets, as
/// (option, value) pairs; the release script computes the last four from the
/// checkout itself.
fn release_args(s: &SelfHosted, engine: &Engine) -> Vec<(&'static str, String)> {
    vec![
        ("--build-arg", format!("BUILDKIT_SYNTAX={}", engine.image)),
        ("--build-arg", "DEBIAN=toolchains/rust-cross:sid".to_owned()),
        ("--build-arg", "CRATES=crates".to_owned()),
        ("--build-context", format!("crates={}", s.crates.display())),
        (
            "--build-arg",
            format!("VERSION={}", env!("CARGO_PKG_VERSION")),
        ),
        ("--build-arg", format!("REVISION={}", s.revision)),
        ("--build-arg", format!("SOURCE={SOURCE}")),
        ("--build-arg", format!("SOURCE_DATE_EPOCH={}", s.epoch)),
    ]
}

fn flat(pairs: Vec<(&'static str, String)>) -> impl Iterator<Item = String> {
    pairs.into_iter().flat_map(|(k, v)| [k.to_owned(), v])
}

/// The image digest buildx wrote to a `--metadata-file`.
fn pushed_digest(metadata: &Path) -> String {
    let v = e2e::oci::read_json(metadata).unwrap();
    v["containerimage.digest"]
        .as_str()
        .unwrap_or_else(|| panic!("no containerimage.digest in {v}"))
        .to_owned()
}

/// Builds recipe `file` of the clone (`stagecraft.yaml` or `Dockerfile`)
/// for both platforms with the release arguments and `extra`.
fn build(engine: &Engine, s: &SelfHosted, file: &str, extra: &[&str]) -> Build {
    let mut args: Vec<String> = vec![
        "-f".into(),
        file.into(),
        "--platform".into(),
        "linux/amd64,linux/arm64".into(),
    ];
    args.extend(flat(
        release_args(s, engine)
            .into_iter()
            // The Dockerfile is read by the engine's own frontend.
            .filter(|(_, v)| file != "Dockerfile" || !v.starts_with("BUILDKIT_SYNTAX="))
            .collect(),
    ));
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args.push(".".into());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    engine.build(&s.src, &argv)
}

/// Builds the root spec with `extra`, pushing to `image` reproducibly;
/// returns the digest.
fn push(engine: &Engine, s: &SelfHosted, image: &str, extra: &[&str]) -> String {
    let metadata = s.src.with_extension(format!("{}.json", unique("metadata")));
    let output = format!("type=image,name={image},push=true");
    let mut args = vec![
        "--metadata-file",
        metadata.to_str().unwrap(),
        "--output",
        &output,
        // A provenance attestation records the build's start and end.
        "--provenance=false",
    ];
    args.extend_from_slice(extra);
    build(engine, s, "stagecraft.yaml", &args).assert_ok();
    pushed_digest(&metadata)
}

fn shared(engine: &Engine) -> &'static SelfHosted {
    static SHARED: OnceLock<SelfHosted> = OnceLock::new();
    SHARED.get_or_init(|| {
        let repo = e2e::repo();
        let root = workdir("self-hosted");
        let src = root.join("src");
        git(&root, &["clone", "-q", &repo.display().to_string(), "src"]);
        let revision = git(&src, &["rev-parse", "HEAD"]);
        let epoch = git(&src, &["log", "-1", "--format=%ct"]);
        // Its own cache namespace: the compile starts from an empty target
        // directory, whatever earlier runs left in the engine.
        let ns = format!("BUILDKIT_CACHE_MOUNT_NS={}", unique("self-hosted"));
        let mut s = SelfHosted {
            src,
            crates: vendored(),
            revision,
            epoch,
            ns: ns.clone(),
            image: format!(
                "{}/stagecraft-e2e/self-hosted:{}",
                engine.registry(),
                unique("v")
            ),
            digest: String::new(),
            out: root.join("out"),
        };
        s.digest = push(engine, &s, &s.image, &["--build-arg", &ns]);
        // The same build (cached) to files.
        let dest = format!("type=local,dest={}", s.out.display());
        build(
            engine,
            &s,
            "stagecraft.yaml",
            &["-o", &dest, "--build-arg", &ns],
        )
        .assert_ok();
        s
    })
}

/// Runs `argv` (a binary, perhaps under qemu): (success, stdout + stderr).
fn run(argv: &[&Path], args: &[&str]) -> (bool, String) {
    let (program, rest) = argv.split_first().unwrap();
    let out = Command::new(program)
        .args(rest)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The ELF machine of a binary (0x3e x86-64, 0xb7 aarch64).
fn elf_machine(bin: &Path) -> u16 {
    let bytes = std::fs::read(bin).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF", "{} is no ELF file", bin.display());
    u16::from_le_bytes([bytes[18], bytes[19]])
}

pub fn the_self_hosted_spec_cross_compiles_the_frontend_for_amd64_and_arm64(engine: &Engine) {
    let s = shared(engine);
    let amd64 = s.out.join("linux_amd64/stagecraft");
    let arm64 = s.out.join("linux_arm64/stagecraft");
    assert_eq!(elf_machine(&amd64), 0x3e, "linux/amd64 is x86-64");
    assert_eq!(elf_machine(&arm64), 0xb7, "linux/arm64 is aarch64");
    let qemu = PathBuf::from("/usr/bin/qemu-aarch64-static");
    assert!(
        qemu.exists(),
        "qemu-user-static is missing: `scripts/engine.sh up main` installs it"
    );
    let example = e2e::repo().join("examples/multistage/stagecraft.yaml");
    let example = example.display().to_string();
    let wanted = format!(
        "stagecraft {} (commit {})",
        env!("CARGO_PKG_VERSION"),
        s.revision
    );
    let mut compiled = Vec::new();
    for argv in [vec![amd64.as_path()], vec![qemu.as_path(), arm64.as_path()]] {
        let (ok, version) = run(&argv, &["--version"]);
        assert!(ok, "{argv:?} --version: {version}");
        assert_eq!(version.trim(), wanted, "{argv:?}");
        let (ok, llb) = run(&argv, &["compile", &example]);
        assert!(ok, "{argv:?} compile: {llb}");
        compiled.push(llb);
    }
    assert!(compiled[0].contains("busybox"), "{}", compiled[0]);
    assert_eq!(
        compiled[0], compiled[1],
        "the two platforms' binaries compile the example to different LLB"
    );
    // The pushed image: per platform, the labels and the entrypoint.
    let (argv, env) = engine.buildx_argv();
    let text = e2e::oci::run(Command::new(&argv[0]).args(&argv[1..]).envs(env).args([
        "imagetools",
        "inspect",
        "--format",
        "{{json .Image}}",
        &s.image,
    ]))
    .unwrap_or_else(|e| panic!("{e}"));
    let images: serde_json::Value = serde_json::from_slice(&text).unwrap();
    for platform in ["linux/amd64", "linux/arm64"] {
        let config = &images[platform]["config"];
        assert_eq!(
            config["Entrypoint"],
            serde_json::json!(["/stagecraft", "frontend"]),
            "{platform}: {config}"
        );
        let labels = &config["Labels"];
        assert_eq!(
            labels["org.opencontainers.image.version"],
            env!("CARGO_PKG_VERSION"),
            "{platform}: {labels}"
        );
        assert_eq!(
            labels["org.opencontainers.image.revision"],
            s.revision.as_str(),
            "{platform}: {labels}"
        );
        assert_eq!(
            labels["org.opencontainers.image.source"], SOURCE,
            "{platform}: {labels}"
        );
        assert_eq!(
            labels["moby.buildkit.frontend.network.none"], "true",
            "{platform}: {labels}"
        );
        assert_eq!(
            images[platform]["rootfs"]["diff_ids"]
                .as_array()
                .map(Vec::len),
            Some(1),
            "{platform}: one layer, the binary"
        );
    }
}

/// A copy of example `name` whose `# syntax=` line names `frontend`.
fn example_for(name: &str, engine: &Engine, frontend: &str) -> PathBuf {
    let dir = e2e::example(name, engine);
    let spec = dir.join("stagecraft.yaml");
    let text = std::fs::read_to_string(&spec).unwrap().replace(
        &format!("# syntax={}", engine.image),
        &format!("# syntax={frontend}"),
    );
    std::fs::write(&spec, text).unwrap();
    dir
}

pub fn the_self_hosted_image_builds_the_examples(engine: &Engine) {
    let s = shared(engine);
    let pinned = format!("{}@{}", s.image, s.digest);
    for name in ["multistage", "cross-compile"] {
        let mut outs = Vec::new();
        for frontend in [engine.image.as_str(), pinned.as_str()] {
            let dir = example_for(name, engine, frontend);
            let (b, out) = engine.export(&dir, &["--platform", "linux/amd64,linux/arm64"]);
            b.assert_ok();
            if frontend == pinned {
                assert!(
                    b.log.contains(&s.digest),
                    "not built by {pinned}:\n{}",
                    b.log
                );
            }
            let files: Vec<(String, Vec<u8>)> = files_below(&out)
                .into_iter()
                .map(|f| {
                    // A symlink (busybox's applets) by its target, a file by its bytes.
                    let path = out.join(&f);
                    let bytes = match std::fs::read_link(&path) {
                        Ok(target) => target.display().to_string().into_bytes(),
                        Err(_) => std::fs::read(&path).unwrap(),
                    };
                    (f, bytes)
                })
                .collect();
            assert!(!files.is_empty(), "{name}: nothing exported");
            outs.push(files);
        }
        assert!(
            outs[0] == outs[1],
            "{name}: the self-hosted image builds other files than {}",
            engine.image
        );
    }
    let dir = example_for("multistage", engine, &pinned);
    let tag = engine.tag("self-hosted-multistage");
    engine
        .build_image(&dir, &["-f", "stagecraft.yaml", "."], &tag)
        .assert_ok();
    let (ok, out) = engine.run(&[&tag]);
    assert!(ok && out.contains("hello from stagecraft"), "{out}");
}

pub fn the_same_commit_builds_the_same_bytes(engine: &Engine) {
    let s = shared(engine);
    // The Dockerfile, in a cache namespace of its own: a second,
    // independent compile.
    let ns = format!("BUILDKIT_CACHE_MOUNT_NS={}", unique("dockerfile"));
    let out = s.src.with_extension(unique("dockerfile-out"));
    let dest = format!("type=local,dest={}", out.display());
    build(engine, s, "Dockerfile", &["-o", &dest, "--build-arg", &ns]).assert_ok();
    for platform in ["linux_amd64", "linux_arm64"] {
        let mine = std::fs::read(s.out.join(platform).join("stagecraft")).unwrap();
        let theirs = std::fs::read(out.join(platform).join("stagecraft")).unwrap();
        assert!(
            mine == theirs,
            "{platform}: the Dockerfile's binary ({} bytes) differs from the self-hosted spec's ({} bytes)",
            theirs.len(),
            mine.len()
        );
    }
    // Under SOURCE_DATE_EPOCH, the spec again with every step re-run (its
    // cargo target directory is the Dockerfile's): the same digest.
    let again = format!(
        "{}/stagecraft-e2e/self-hosted:{}",
        engine.registry(),
        unique("again")
    );
    let digest = push(engine, s, &again, &["--build-arg", &ns, "--no-cache"]);
    assert_eq!(
        digest, s.digest,
        "a rebuild of {} pushed another digest",
        s.revision
    );
}

pub fn the_release_script_pushes_the_channel_tags(engine: &Engine) {
    let s = shared(engine);
    let repo = format!("{}/stagecraft-e2e/{}", engine.registry(), unique("release"));
    let notes = s.src.with_extension(unique("notes.md"));
    let (_, env) = engine.buildx_argv();
    let mut cmd = Command::new(s.src.join("scripts/release.sh"));
    cmd.envs(env)
        .env("STAGECRAFT_FRONTEND", &engine.image)
        .env("STAGECRAFT_SOURCE", SOURCE)
        .env("STAGECRAFT_RELEASE_NOTES", &notes)
        .arg(&repo);
    // The script sets the frontend, version, revision, source and date itself.
    let own = [
        "BUILDKIT_SYNTAX=",
        "VERSION=",
        "REVISION=",
        "SOURCE=",
        "SOURCE_DATE_EPOCH=",
    ];
    cmd.args(flat(
        release_args(s, engine)
            .into_iter()
            .filter(|(_, v)| !own.iter().any(|k| v.starts_with(k)))
            .collect(),
    ))
    // The first build's cache mounts: its compile is not repeated.
    .args(["--build-arg", &s.ns]);
    let out = cmd.current_dir(&s.src).output().unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "scripts/release.sh {repo}:\n{log}");
    let printed = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(
        printed, s.digest,
        "the release is not the same image:\n{log}"
    );
    let version = env!("CARGO_PKG_VERSION");
    let minor = version.rsplit_once('.').unwrap().0;
    let major = version.split_once('.').unwrap().0;
    let (host, name) = repo.split_once('/').unwrap();
    for tag in [version, minor, major, "latest"] {
        let head = Command::new("curl")
            .args([
                "-fsSI",
                "-H",
                "Accept: application/vnd.oci.image.index.v1+json",
                "-H",
                "Accept: application/vnd.docker.distribution.manifest.list.v2+json",
            ])
            .arg(format!("http://{host}/v2/{name}/manifests/{tag}"))
            .output()
            .unwrap();
        let headers = String::from_utf8_lossy(&head.stdout).to_lowercase();
        assert!(head.status.success(), "{repo}:{tag} is not in the registry");
        assert!(
            headers.contains(&format!("docker-content-digest: {}", s.digest)),
            "{repo}:{tag} is not {}:\n{headers}",
            s.digest
        );
    }
    let text = std::fs::read_to_string(&notes).unwrap();
    let subject = git(&s.src, &["log", "-1", "--format=%s"]);
    assert!(
        text.starts_with(&format!("# Stagecraft {version}\n")),
        "{text}"
    );
    let line = format!("- {subject}");
    assert!(
        text.contains(&line.chars().take(120).collect::<String>()),
        "the notes lack the last commit:\n{text}"
    );
}

pub fn cases() -> Vec<Case> {
    let needs = &[Feature::Toolchains, Feature::MultiPlatform];
    vec![
        case(
            "the_self_hosted_spec_cross_compiles_the_frontend_for_amd64_and_arm64",
            needs,
            the_self_hosted_spec_cross_compiles_the_frontend_for_amd64_and_arm64,
        ),
        case(
            "the_self_hosted_image_builds_the_examples",
            needs,
            the_self_hosted_image_builds_the_examples,
        ),
        case(
            "the_same_commit_builds_the_same_bytes",
            needs,
            the_same_commit_builds_the_same_bytes,
        ),
        case(
            "the_release_script_pushes_the_channel_tags",
            needs,
            the_release_script_pushes_the_channel_tags,
        ),
    ]
}
