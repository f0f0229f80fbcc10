//! The seed walkthroughs with real toolchains (issue 10): `examples/java-jlink`,
//! `examples/go-scratch` and `examples/node-nginx`, built through `docker
//! buildx build` on the toolchain images the main lane makes from Debian
//! packages (`e2e::provision::toolchains`), then run: the Java server and
//! the nginx site answer HTTP, the Go binary runs on each platform it was
//! built for. Each prints its builder and final image sizes. Their
//! Dockerfile twins are differential cases 50–52.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use e2e::{case, example, files_below, Case, Engine, Feature};

/// Fails, saying how to get them, when the engine lacks the toolchain images.
fn needs_toolchains(engine: &Engine, images: &[&str]) {
    for image in images {
        let out = engine.docker(&["image", "inspect", "--format", "{{.Id}}", image]);
        assert!(
            out.status.success(),
            "toolchain image {image} is not on this engine: `scripts/engine.sh up main` makes it \
             on its private engine (tests/e2e/src/provision/toolchains.rs)"
        );
    }
}

/// An image's size in bytes, as `docker image inspect` reports it.
fn size(engine: &Engine, tag: &str) -> u64 {
    let img = engine.inspect(tag);
    img["Size"]
        .as_u64()
        .unwrap_or_else(|| panic!("no Size for {tag}: {img}"))
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// A container started from an image; removed when dropped.
struct Running<'e> {
    engine: &'e Engine,
    id: String,
}

impl<'e> Running<'e> {
    fn start(engine: &'e Engine, tag: &str) -> Self {
        let out = engine.docker(&["run", "-d", tag]);
        assert!(
            out.status.success(),
            "docker run -d {tag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        Running { engine, id }
    }

    /// The container's address on the lane's bridge.
    fn address(&self) -> String {
        let out = self.engine.docker(&[
            "inspect",
            "--format",
            "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
            &self.id,
        ]);
        let ip = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(
            !ip.is_empty(),
            "no address for {}: {}",
            self.id,
            self.logs()
        );
        ip
    }

    fn logs(&self) -> String {
        let out = self.engine.docker(&["logs", &self.id]);
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// `docker exec` in the container: (success, output).
    fn exec(&self, args: &[&str]) -> (bool, String) {
        let mut full = vec!["exec", self.id.as_str()];
        full.extend_from_slice(args);
        let out = self.engine.docker(&full);
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// The body of `http://ADDRESS:PORT/PATH`, tried for up to 60 s while the
    /// server starts.
    fn get(&self, port: u16, path: &str) -> String {
        let url = format!("http://{}:{port}{path}", self.address());
        let start = Instant::now();
        loop {
            let out = Command::new("curl")
                .args(["-fsS", "-m", "5"])
                .arg(&url)
                .output()
                .unwrap();
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).into_owned();
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{url} did not answer: {}\ncontainer log:\n{}",
                String::from_utf8_lossy(&out.stderr),
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let _ = self.engine.docker(&["rm", "-f", &self.id]);
    }
}

/// Builds the example's `target` (or its default) as a new image tag.
fn build(engine: &Engine, dir: &Path, name: &str, target: Option<&str>) -> String {
    let tag = engine.tag(name);
    let mut args = vec!["-f", "stagecraft.yaml"];
    if let Some(t) = target {
        args.extend(["--target", t]);
    }
    args.push(".");
    engine.build_image(dir, &args, &tag).assert_ok();
    tag
}

/// The seeds' Java walkthrough: the final image (a jlink-made runtime and
/// the jar on a minimal Debian) answers HTTP as a non-root user, passes its
/// healthcheck, holds no JDK, and is at most half the JDK stage's size.
pub fn java_walkthrough_serves_http_from_a_jlink_runtime(engine: &Engine) {
    needs_toolchains(engine, &["toolchains/jdk:17", "toolchains/debian:bookworm"]);
    let dir = example("java-jlink", engine);
    let builder = build(engine, &dir, "java-builder", Some("jdk"));
    let runtime = build(engine, &dir, "java", None);
    let (builder_size, final_size) = (size(engine, &builder), size(engine, &runtime));
    eprintln!(
        "java-jlink: builder (jdk) {}, final (runtime) {}: {:.0}% of the builder",
        mb(builder_size),
        mb(final_size),
        final_size as f64 * 100.0 / builder_size as f64
    );
    assert!(
        final_size * 2 <= builder_size,
        "the final image ({}) is more than half the builder ({})",
        mb(final_size),
        mb(builder_size)
    );

    let cfg = engine.inspect(&runtime)["Config"].clone();
    assert_eq!(cfg["User"], "app", "{cfg}");
    assert!(cfg["ExposedPorts"].get("8080/tcp").is_some(), "{cfg}");
    assert_eq!(
        cfg["Entrypoint"],
        serde_json::json!(["java", "-jar", "/app/app.jar"])
    );
    assert_eq!(
        cfg["Healthcheck"]["Test"],
        serde_json::json!(["CMD", "java", "-cp", "/app/app.jar", "hello.Check"])
    );

    let server = Running::start(engine, &runtime);
    let body = server.get(8080, "/");
    assert!(body.starts_with("hello from java 17"), "{body}");
    let (ok, out) = server.exec(&["java", "-cp", "/app/app.jar", "hello.Check"]);
    assert!(ok, "the healthcheck command failed: {out}");
    let (ok, out) = server.exec(&["id", "-u"]);
    assert!(ok && out.trim() == "10001", "{out}");
    let (ok, out) = server.exec(&["sh", "-c", "ls /usr/lib/jvm; command -v javac"]);
    assert!(!ok, "the final image has a JDK: {out}");
    let (ok, out) = server.exec(&["java", "--list-modules"]);
    assert!(ok, "{out}");
    let modules: Vec<&str> = out
        .lines()
        .map(|l| l.split('@').next().unwrap_or(l))
        .collect();
    assert_eq!(modules, ["java.base", "jdk.httpserver"], "{out}");
}

/// `e_machine` of an ELF file.
fn elf_machine(path: &Path) -> u16 {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        bytes.get(..4),
        Some(&b"\x7fELF"[..]),
        "{} is no ELF file",
        path.display()
    );
    u16::from_le_bytes([bytes[18], bytes[19]])
}

/// The Go example: one `scratch` image per platform, cross-compiled on the
/// build platform; each holds the static binary only, for its architecture;
/// the amd64 one runs here and in a container.
pub fn go_example_cross_compiles_static_binaries_to_scratch(engine: &Engine) {
    needs_toolchains(engine, &["toolchains/golang:1.19"]);
    let dir = example("go-scratch", engine);
    let (b, out) = engine.export(&dir, &["--platform", "linux/amd64,linux/arm64"]);
    b.assert_ok();
    for (platform, machine) in [("linux_amd64", 0x3e), ("linux_arm64", 0xb7)] {
        let files = files_below(&out.join(platform));
        assert_eq!(files, ["hello"], "{platform}: {files:?}");
        assert_eq!(
            elf_machine(&out.join(platform).join("hello")),
            machine,
            "{platform}"
        );
    }
    let ran = Command::new(out.join("linux_amd64/hello"))
        .arg("stagecraft")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "hello stagecraft from go on linux/amd64\n"
    );

    let builder = build(engine, &dir, "go-builder", Some("build"));
    let dist = build(engine, &dir, "go", None);
    eprintln!(
        "go-scratch: builder (build) {}, final (dist) {}",
        mb(size(engine, &builder)),
        mb(size(engine, &dist))
    );
    let (ok, out) = engine.run(&["--network", "none", &dist, "container"]);
    assert!(ok, "{out}");
    assert_eq!(out, "hello container from go on linux/amd64\n");
}

/// The Node example: pages made by a Node build step with no registry
/// access, served by nginx from the final image, which holds no Node.
pub fn node_example_builds_pages_served_by_nginx(engine: &Engine) {
    needs_toolchains(engine, &["toolchains/node:18", "toolchains/nginx:1.22"]);
    let dir = example("node-nginx", engine);
    let builder = build(engine, &dir, "node-builder", Some("build"));
    let web = build(engine, &dir, "web", None);
    eprintln!(
        "node-nginx: builder (build) {}, final (web) {}",
        mb(size(engine, &builder)),
        mb(size(engine, &web))
    );
    let site = Running::start(engine, &web);
    let index = site.get(80, "/");
    assert!(index.contains("<h1>Stagecraft and nginx</h1>"), "{index}");
    assert!(index.contains("built with node v18."), "{index}");
    let about = site.get(80, "/about.html");
    assert!(about.contains("<h1>About</h1>"), "{about}");
    let (ok, out) = site.exec(&["sh", "-c", "command -v node || command -v npm || ls /src"]);
    assert!(!ok, "the final image has node, npm or the sources: {out}");
}

/// The language 1.1 example: a matrix test on two base images and two
/// shells, less the excluded combination, all run because the release
/// `needs` the matrix stage; `when:` keeps the lint stage and the debug
/// file or leaves them out.
pub fn matrix_example_tests_every_base_before_the_release(engine: &Engine) {
    needs_toolchains(engine, &["toolchains/debian:bookworm"]);
    let dir = example("matrix-release", engine);
    let (b, out) = engine.export(&dir, &["--no-cache"]);
    b.assert_ok();
    assert_eq!(files_below(&out), ["bin/wc.sh"]);
    for ran in [
        "tests passed on busybox with sh (C)",
        "tests passed on toolchains/debian:bookworm with sh (C)",
        "tests passed on toolchains/debian:bookworm with dash (C)",
        "lint passed",
    ] {
        b.assert_log_contains(ran);
    }
    assert!(!b.log.contains("on busybox with dash"), "{}", b.log);

    let (b, out) = engine.export(
        &dir,
        &[
            "--no-cache",
            "--build-arg",
            "DEBUG=true",
            "--build-arg",
            "LINT=false",
        ],
    );
    b.assert_ok();
    assert_eq!(files_below(&out), ["bin/wc.sh", "build-info"]);
    assert!(!b.log.contains("lint passed"), "{}", b.log);
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "java_walkthrough_serves_http_from_a_jlink_runtime",
            &[Feature::Buildx, Feature::Toolchains],
            java_walkthrough_serves_http_from_a_jlink_runtime,
        ),
        case(
            "go_example_cross_compiles_static_binaries_to_scratch",
            &[Feature::Buildx, Feature::MultiPlatform, Feature::Toolchains],
            go_example_cross_compiles_static_binaries_to_scratch,
        ),
        case(
            "matrix_example_tests_every_base_before_the_release",
            &[Feature::Buildx, Feature::Toolchains],
            matrix_example_tests_every_base_before_the_release,
        ),
        case(
            "node_example_builds_pages_served_by_nginx",
            &[Feature::Buildx, Feature::Toolchains],
            node_example_builds_pages_served_by_nginx,
        ),
    ]
}
