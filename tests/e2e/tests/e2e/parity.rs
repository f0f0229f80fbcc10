//! The same build through Stagecraft and through the built-in Dockerfile
//! frontend, on the same engine, must give the same image (issue 6, section 8).
//! The Dockerfile frontend is the oracle: each test builds a spec and its
//! Dockerfile twin (no `# syntax` line, so the engine's own frontend runs it),
//! exports both as OCI tarballs and compares the image configs and, layer by
//! layer, every entry: path, type and mode, numeric owner, link target and
//! content. `tests/e2e/parity-notes.md` records what each case showed.

use std::path::{Path, PathBuf};

use e2e::{case, oci, workdir, write_files, Case, Engine, Feature};

/// An image exported with `-o type=oci`, unpacked under `root`.
#[derive(Debug)]
struct Exported {
    /// Which build this is, for messages.
    what: String,
    /// The image config blob (`architecture`, `os`, `config`, `history`...).
    config: serde_json::Value,
    layers: Vec<Layer>,
}

/// One layer: its blob digest and the blob.
#[derive(Debug)]
struct Layer {
    digest: String,
    blob: PathBuf,
}

impl Layer {
    /// The layer's entries, sorted, one line each:
    /// `<mode> <uid>/<gid> <path>[ -> <symlink target>| link to <hardlink target>][ #<content hash> (<n> bytes)]`.
    fn entries(&self) -> Vec<String> {
        let scratch = self.blob.with_extension("unpacked");
        let mut out: Vec<String> = oci::layer_entries(&self.blob, &scratch)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|e| {
                let link = e.link_text();
                let content = e
                    .content
                    .map(|(hash, len)| format!(" #{hash:016x} ({len} bytes)"))
                    .unwrap_or_default();
                format!("{} {} {}{link}{content}", e.mode, e.owner, e.path)
            })
            .collect();
        out.sort();
        out
    }

    /// The paths in the layer (`srv`, `srv/f`...).
    fn paths(&self) -> Vec<String> {
        self.entries()
            .iter()
            .map(|e| {
                let path = e.split(' ').nth(2).unwrap_or_default();
                path.to_owned()
            })
            .collect()
    }
}

/// Builds `file` (a spec or a Dockerfile) in `dir` with `extra` options,
/// exports it with `-o type=oci,dest=...` into a scratch directory of its own
/// (so that it never becomes part of the next build's context) and unpacks it.
fn export_oci(engine: &Engine, dir: &Path, file: &str, extra: &[&str]) -> Exported {
    let root = workdir(&format!("oci-{}", file.replace('.', "-")));
    let tarball = root.join("image.tar");
    let dest = format!("type=oci,dest={}", tarball.display());
    let mut args = vec!["-f", file, "-o", dest.as_str()];
    args.extend_from_slice(extra);
    args.push(".");
    engine.build(dir, &args).assert_ok();
    oci::unpack(&tarball, &root).unwrap_or_else(|e| panic!("{e}"));
    let manifests = oci::image_manifests(&root).unwrap_or_else(|e| panic!("{e}"));
    let (config, layers) =
        oci::config_and_layers(&root, &manifests[0]).unwrap_or_else(|e| panic!("{e}"));
    let layers = layers
        .into_iter()
        .map(|(digest, blob)| Layer { digest, blob })
        .collect();
    Exported {
        what: file.to_owned(),
        config,
        layers,
    }
}

/// Asserts that `spec` (built by Stagecraft) is the image `dockerfile` (built
/// by the Dockerfile frontend) is: same platform and config, same number of
/// layers, and each layer with the same entries. Layers with the same blob
/// digest (the base image's) are equal without being listed.
fn assert_same_image(spec: &Exported, dockerfile: &Exported) {
    for key in ["architecture", "os", "variant", "config"] {
        assert_eq!(
            spec.config[key], dockerfile.config[key],
            "image `{key}` differs (left: {}, right: {})",
            spec.what, dockerfile.what
        );
    }
    let differing = || {
        let mut text = String::new();
        for (i, (s, d)) in spec.layers.iter().zip(&dockerfile.layers).enumerate() {
            if s.digest != d.digest {
                text.push_str(&format!(
                    "layer {i}\n  {}:\n    {}\n  {}:\n    {}\n",
                    spec.what,
                    s.entries().join("\n    "),
                    dockerfile.what,
                    d.entries().join("\n    ")
                ));
            }
        }
        text
    };
    assert_eq!(
        spec.layers.len(),
        dockerfile.layers.len(),
        "layer count differs ({} against {}):\n{}",
        spec.what,
        dockerfile.what,
        differing()
    );
    for (i, (s, d)) in spec.layers.iter().zip(&dockerfile.layers).enumerate() {
        if s.digest == d.digest {
            continue;
        }
        assert_eq!(
            s.entries(),
            d.entries(),
            "layer {i} differs (left: {}, right: {})",
            spec.what,
            dockerfile.what
        );
    }
}

const MOUNTS_DOCKERFILE: &str = r"FROM busybox
RUN --mount=type=secret,id=x --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/root/.cache/go --mount=type=bind,from=busybox,target=/mnt/a/b --mount=type=tmpfs,target=/etc/app/tmp true
RUN --mount=type=bind,from=busybox,target=/opt/m/a/b --mount=type=tmpfs,target=/srv/t/u touch /opt/m/keep && mkdir -p /srv/t/v
";

const MOUNTS_SPEC: &str = r#"# syntax=stagecraft:dev
version: 1
stages:
  a:
    from: busybox
    steps:
      - run: "true"
        secrets: [{ id: x }]
        cache: [/var/cache/apt, /root/.cache/go]
        mounts: [{ from: busybox, target: /mnt/a/b }]
        tmpfs: [/etc/app/tmp]
      - run: touch /opt/m/keep && mkdir -p /srv/t/v
        mounts: [{ from: busybox, target: /opt/m/a/b }]
        tmpfs: [/srv/t/u]
"#;

/// Every directory the engine creates as a mount point, and every parent it
/// creates for one, is removed after the step when it is still empty
/// (`removeMountStubsRecursive`, set by BuildKit's own LLB client on every
/// exec). Directories the command wrote into stay.
pub fn mount_stubs_are_removed_recursively_as_by_the_dockerfile_frontend(engine: &Engine) {
    let dir = workdir("parity-mount-stubs");
    write_files(
        &dir,
        engine,
        &[
            ("Dockerfile", MOUNTS_DOCKERFILE),
            ("stagecraft.yaml", MOUNTS_SPEC),
            ("x.txt", "s3cr3t"),
        ],
    );
    let secret = format!("id=x,src={}", dir.join("x.txt").display());
    let oracle = export_oci(engine, &dir, "Dockerfile", &["--secret", &secret]);
    let ours = export_oci(engine, &dir, "stagecraft.yaml", &["--secret", &secret]);
    // Say what is wrong before comparing whole listings.
    for layer in ours.layers.iter().skip(1) {
        let paths = layer.paths();
        for stub in [
            "run",
            "run/secrets",
            "var/cache",
            "root/.cache",
            "mnt",
            "mnt/a",
            "etc/app",
            "opt/m/a",
            "srv/t/u",
        ] {
            assert!(
                !paths.iter().any(|p| p == stub),
                "mount stub `/{stub}` stayed in the image: {paths:?}"
            );
        }
    }
    assert_same_image(&ours, &oracle);
}

const COPIES_DOCKERFILE: &str = r"FROM busybox AS stage
RUN mkdir -p /out && echo staged > /out/f && chmod 600 /out/f && chown 7:7 /out/f

FROM busybox AS base
RUN mkdir -p /srv /opt/app && chmod 0750 /opt/app && chown 1:1 /opt/app

FROM base
COPY --link --chmod=0444 --chown=4000:4000 f /new1/f
COPY --chmod=0444 --chown=4000:4000 f /new2/f
COPY --link --chmod=0444 --chown=4000:4000 f /new3/sub/dir/
COPY --chmod=0444 --chown=4000:4000 f /new4/sub/dir/
COPY --link --from=stage --chmod=0444 --chown=4000:4000 /out/f /new5/f
COPY --from=stage --chmod=0444 --chown=4000:4000 /out/f /new6/sub/dir/
COPY --link --chown=4000:4000 f /new7/sub/f
COPY --link --chmod=0640 f /new8/sub/f
COPY --link --from=stage /out/f /new9/sub/f
COPY --link --chmod=0444 --chown=4000:4000 f /srv/f
COPY --chmod=0444 --chown=4000:4000 f /var/f
COPY --link --chown=4000:4000 f /opt/app/f
COPY --link f /usr/bin/f
COPY --link --chmod=0777 f /tmp/x/f
COPY --link --from=stage --chmod=0444 --chown=4000:4000 /out/f /srv/art
COPY --link --from=stage /out/f /opt/app/art
";

const COPIES_SPEC: &str = r#"# syntax=stagecraft:dev
version: 1
stages:
  stage:
    from: busybox
    steps:
      - run: mkdir -p /out && echo staged > /out/f && chmod 600 /out/f && chown 7:7 /out/f
  base:
    from: busybox
    steps:
      - run: mkdir -p /srv /opt/app && chmod 0750 /opt/app && chown 1:1 /opt/app
  final:
    from: base
    steps:
      - { copy: f, to: /new1/f, link: true, chmod: "0444", chown: "4000:4000" }
      - { copy: f, to: /new2/f, chmod: "0444", chown: "4000:4000" }
      - { copy: f, to: /new3/sub/dir/, link: true, chmod: "0444", chown: "4000:4000" }
      - { copy: f, to: /new4/sub/dir/, chmod: "0444", chown: "4000:4000" }
      - { copy: /out/f, from: stage, to: /new5/f, link: true, chmod: "0444", chown: "4000:4000" }
      - { copy: /out/f, from: stage, to: /new6/sub/dir/, chmod: "0444", chown: "4000:4000" }
      - { copy: f, to: /new7/sub/f, link: true, chown: "4000:4000" }
      - { copy: f, to: /new8/sub/f, link: true, chmod: "0640" }
      - { copy: /out/f, from: stage, to: /new9/sub/f, link: true }
      - { copy: f, to: /srv/f, link: true, chmod: "0444", chown: "4000:4000" }
      - { copy: f, to: /var/f, chmod: "0444", chown: "4000:4000" }
      - { copy: f, to: /opt/app/f, link: true, chown: "4000:4000" }
      - { copy: f, to: /usr/bin/f, link: true }
      - { copy: f, to: /tmp/x/f, link: true, chmod: "0777" }
    artifacts:
      - { from: stage, path: /out/f, to: /srv/art, chmod: "0444", chown: "4000:4000" }
      - { from: stage, path: /out/f, to: /opt/app/art }
"#;

/// Directories a copy creates, new (`/new*`) or already in the stage (`/srv`,
/// `/opt/app`, `/usr/bin`, `/tmp`), linked or not, from the context or from a
/// stage, into a file path or a `dir/`: the same entries as the Dockerfile
/// twin. The rule that matters: the Dockerfile frontend builds `COPY --link`
/// as a MergeOp only without `--chmod`, so a linked copy with `chmod` leaves
/// an existing parent such as `/srv` (or `/tmp`, 1777) as it is.
pub fn directories_created_by_copies_match_the_dockerfile_frontend(engine: &Engine) {
    let dir = workdir("parity-copy-dirs");
    write_files(
        &dir,
        engine,
        &[
            ("Dockerfile", COPIES_DOCKERFILE),
            ("stagecraft.yaml", COPIES_SPEC),
            ("f", "file\n"),
        ],
    );
    let oracle = export_oci(engine, &dir, "Dockerfile", &[]);
    let ours = export_oci(engine, &dir, "stagecraft.yaml", &[]);
    assert_same_image(&ours, &oracle);
}

/// `EXPOSE 9000-9002` writes one `ExposedPorts` key per port.
pub fn exposed_port_ranges_expand_as_in_a_dockerfile(engine: &Engine) {
    let dir = workdir("parity-expose");
    let dockerfile =
        "FROM busybox\nEXPOSE 9000-9002 53/udp 7000-7001/udp 8080 6000-6001/sctp 80/TCP\n";
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    image:\n      expose: [\"9000-9002\", \"53/udp\", \"7000-7001/udp\", 8080, \"6000-6001/sctp\", \"80/TCP\"]\n";
    write_files(
        &dir,
        engine,
        &[("Dockerfile", dockerfile), ("stagecraft.yaml", spec)],
    );
    let oracle = export_oci(engine, &dir, "Dockerfile", &[]);
    let ours = export_oci(engine, &dir, "stagecraft.yaml", &[]);
    let keys = |e: &Exported| -> Vec<String> {
        let mut keys: Vec<String> = e.config["config"]["ExposedPorts"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    };
    assert_eq!(keys(&ours), keys(&oracle), "ExposedPorts");
    assert_same_image(&ours, &oracle);
}

/// A result on `scratch`, or on a local-directory named context, has the
/// Dockerfile frontend's empty-image config: `WorkingDir` `/` and the default
/// `PATH`.
pub fn scratch_and_local_context_results_have_workdir_root_as_in_a_dockerfile(engine: &Engine) {
    let dir = workdir("parity-scratch");
    let spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: scratch\n    steps:\n      - copy: a.txt\n        to: /a.txt\n";
    let ctx_spec = "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: example.com/base:1\n    steps:\n      - copy: a.txt\n        to: /a.txt\n";
    write_files(
        &dir,
        engine,
        &[
            ("Dockerfile", "FROM scratch\nCOPY a.txt /a.txt\n"),
            ("stagecraft.yaml", spec),
            (
                "ctx.Dockerfile",
                "FROM example.com/base:1\nCOPY a.txt /a.txt\n",
            ),
            ("ctx.yaml", ctx_spec),
            ("a.txt", "a\n"),
            ("base/from-base.txt", "base\n"),
        ],
    );
    let oracle = export_oci(engine, &dir, "Dockerfile", &[]);
    let ours = export_oci(engine, &dir, "stagecraft.yaml", &[]);
    assert_eq!(
        ours.config["config"]["WorkingDir"], oracle.config["config"]["WorkingDir"],
        "WorkingDir of a scratch result"
    );
    assert_same_image(&ours, &oracle);

    let ctx = format!("example.com/base:1={}", dir.join("base").display());
    let oracle = export_oci(engine, &dir, "ctx.Dockerfile", &["--build-context", &ctx]);
    let ours = export_oci(engine, &dir, "ctx.yaml", &["--build-context", &ctx]);
    assert_same_image(&ours, &oracle);
}

/// Under `SOURCE_DATE_EPOCH`, the exporter dates the build's own history
/// entries (and the image) at the epoch and keeps the base image's history
/// dates, as for a Dockerfile: the frontend names the base image's config
/// (`containerimage.base.config`), else its dates are rewritten too.
pub fn source_date_epoch_keeps_the_base_image_history_dates(engine: &Engine) {
    let dir = workdir("parity-source-date-epoch");
    write_files(
        &dir,
        engine,
        &[
            ("Dockerfile", "FROM busybox\nRUN echo a > /a\n"),
            (
                "stagecraft.yaml",
                "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - run: echo a > /a\n",
            ),
        ],
    );
    let epoch = ["--build-arg", "SOURCE_DATE_EPOCH=0"];
    let spec = export_oci(engine, &dir, "stagecraft.yaml", &epoch);
    let dockerfile = export_oci(engine, &dir, "Dockerfile", &epoch);
    let dates = |e: &Exported| -> Vec<String> {
        e.config["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["created"].as_str().unwrap_or("-").to_owned())
            .collect()
    };
    let (s, d) = (dates(&spec), dates(&dockerfile));
    assert_eq!(s, d, "history dates (stagecraft, Dockerfile)");
    assert_eq!(spec.config["created"], "1970-01-01T00:00:00Z");
    assert!(
        s.first().is_some_and(|base| base != "1970-01-01T00:00:00Z"),
        "the base image's own date is kept: {s:?}"
    );
    assert_eq!(s.last().map(String::as_str), Some("1970-01-01T00:00:00Z"));
}

const CONVERTED_DOCKERFILE: &str = r#"FROM busybox AS build
WORKDIR /src
ENV GREETING=hello
COPY a.txt ./
RUN echo "$GREETING" > out.txt && cat a.txt >> out.txt
WORKDIR sub
RUN pwd > /src/where
USER 1000:1000
RUN id -u > /tmp/uid

FROM busybox
LABEL org.example.kind=converted
EXPOSE 8080
COPY --from=build /src/out.txt /app/out.txt
COPY --from=build /src/where /tmp/uid /app/
ENTRYPOINT ["/bin/cat"]
CMD ["/app/out.txt"]
"#;

/// `stagecraft convert`'s spec of a Dockerfile builds the Dockerfile's image
/// (issue 10's differential suite starts here).
pub fn a_converted_dockerfile_builds_the_same_image(engine: &Engine) {
    let dir = workdir("parity-converted");
    let spec = stagecraft::dockerfile::convert(
        CONVERTED_DOCKERFILE,
        &stagecraft::dockerfile::ConvertOptions {
            syntax: engine.image.clone(),
            source_name: "Dockerfile".to_owned(),
            lenient: false,
        },
    )
    .unwrap_or_else(|e| panic!("line {}: {}", e.line, e.message));
    write_files(
        &dir,
        engine,
        &[
            ("Dockerfile", CONVERTED_DOCKERFILE),
            ("stagecraft.yaml", &spec),
            ("a.txt", "from the context\n"),
        ],
    );
    let oracle = export_oci(engine, &dir, "Dockerfile", &[]);
    let ours = export_oci(engine, &dir, "stagecraft.yaml", &[]);
    assert_same_image(&ours, &oracle);
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "a_converted_dockerfile_builds_the_same_image",
            &[Feature::Buildx, Feature::OciExport],
            a_converted_dockerfile_builds_the_same_image,
        ),
        case(
            "source_date_epoch_keeps_the_base_image_history_dates",
            &[Feature::Buildx, Feature::OciExport],
            source_date_epoch_keeps_the_base_image_history_dates,
        ),
        case(
            "mount_stubs_are_removed_recursively_as_by_the_dockerfile_frontend",
            &[Feature::Buildx, Feature::MergeOp],
            mount_stubs_are_removed_recursively_as_by_the_dockerfile_frontend,
        ),
        case(
            "directories_created_by_copies_match_the_dockerfile_frontend",
            &[Feature::Buildx, Feature::MergeOp],
            directories_created_by_copies_match_the_dockerfile_frontend,
        ),
        case(
            "exposed_port_ranges_expand_as_in_a_dockerfile",
            &[Feature::Buildx, Feature::MergeOp],
            exposed_port_ranges_expand_as_in_a_dockerfile,
        ),
        case(
            "scratch_and_local_context_results_have_workdir_root_as_in_a_dockerfile",
            &[Feature::Buildx, Feature::BuildContexts, Feature::MergeOp],
            scratch_and_local_context_results_have_workdir_root_as_in_a_dockerfile,
        ),
    ]
}
