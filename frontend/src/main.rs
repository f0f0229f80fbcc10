//! The `stagecraft` binary: `stagecraft frontend` is the BuildKit gateway
//! frontend (the image's entrypoint); `compile` and `check` work offline on a
//! spec file. The frontend mode never writes to stdout: it is the gRPC pipe.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stagecraft::build::{self, compile_offline};
use stagecraft::compile::EngineFeatures;
use stagecraft::diag::report::{self, Format};
use stagecraft::diag::SourceFile;
use stagecraft::gateway::{transport, Gateway};
use stagecraft::options::BuildOptions;

#[derive(Parser)]
#[command(
    name = "stagecraft",
    version = stagecraft::version::long(),
    about = "A BuildKit frontend for YAML build specs",
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run as a BuildKit gateway frontend (gRPC over stdin/stdout).
    Frontend,
    /// Compile a spec offline and print its LLB (base images are treated as empty).
    Compile {
        file: PathBuf,
        #[command(flatten)]
        build: OfflineBuild,
        /// Compile as for an engine with MergeOp.
        #[arg(long)]
        merge_op: bool,
    },
    /// Check a spec and print its diagnostics (exit 1 on errors, 0 on warnings only).
    Check {
        file: PathBuf,
        /// `text` (with the YAML excerpt, on stderr), `json`, `sarif`
        /// (SARIF 2.1.0) or `github` (workflow-command annotations), all
        /// three on stdout.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print the stage graph of the target: stages, base images and the edges between them (offline).
    Graph {
        file: PathBuf,
        #[command(flatten)]
        build: OfflineBuild,
        #[arg(long, value_enum, default_value = "mermaid")]
        format: stagecraft::stage_graph::GraphFormat,
    },
    /// Print the JSON Schema of the language (for editors: see docs/editors.md).
    Schema,
    /// Run the language server on stdin/stdout (for editors: see docs/editors.md).
    Lsp,
    /// Convert a Dockerfile to a spec (offline; see docs/migrating.md).
    Convert {
        /// The Dockerfile to read.
        #[arg(default_value = "Dockerfile")]
        dockerfile: PathBuf,
        /// Write the spec here instead of to stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The frontend image for the spec's `# syntax=` line.
        #[arg(long, default_value = "stagecraft")]
        syntax: String,
        /// Write an instruction that cannot be converted as a `# TODO`
        /// comment (its line and why) instead of failing.
        #[arg(long)]
        lenient: bool,
    },
}

/// The build options an offline command takes, as `docker buildx build` does.
#[derive(clap::Args)]
struct OfflineBuild {
    #[arg(long)]
    target: Option<String>,
    #[arg(long = "build-arg", value_name = "NAME=VALUE")]
    build_args: Vec<String>,
    #[arg(long)]
    platform: Option<String>,
}

/// The build options of an offline command, as buildx would pass them.
fn offline_options(src: &SourceFile, b: OfflineBuild) -> Result<BuildOptions, String> {
    let OfflineBuild {
        target,
        build_args,
        platform,
    } = b;
    let mut opts: BTreeMap<String, String> = BTreeMap::new();
    opts.insert("filename".into(), src.name.clone());
    if let Some(t) = target {
        opts.insert("target".into(), t);
    }
    if let Some(p) = platform {
        opts.insert("platform".into(), p);
    }
    for a in build_args {
        let (k, v) = a.split_once('=').unwrap_or((a.as_str(), ""));
        opts.insert(format!("build-arg:{k}"), v.to_owned());
    }
    BuildOptions::from_opts(&opts).map_err(|e| e.to_string())
}

/// The directory a spec file is in (`.` for a bare file name).
fn spec_dir(file: &std::path::Path) -> PathBuf {
    match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Reads a spec, never more than one byte past the size limit.
fn read(file: &PathBuf) -> Result<SourceFile, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let limit = u64::try_from(stagecraft::spec::raw::MAX_SPEC_BYTES).unwrap_or(u64::MAX);
    std::fs::File::open(file)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    match stagecraft::spec::decode(name, bytes) {
        (src, None) => Ok(src),
        (src, Some(d)) => Err(stagecraft::diag::render(&[d], &src)),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Frontend => frontend(),
        Cmd::Compile {
            file,
            build,
            merge_op,
        } => read(&file).and_then(|src| {
            let mut opts = offline_options(&src, build)?;
            opts.spec_dir = Some(spec_dir(&file));
            for (platform, def, image) in compile_offline(
                src,
                &opts,
                EngineFeatures {
                    merge_op,
                    check_globs: true,
                },
            )? {
                println!("# platform {platform}");
                print!("{}", llb::dump::dump(&def));
                println!(
                    "# image config\n{}",
                    String::from_utf8_lossy(&image.to_json())
                );
            }
            Ok(())
        }),
        Cmd::Graph {
            file,
            build,
            format,
        } => read(&file).and_then(|src| {
            let mut opts = offline_options(&src, build)?;
            opts.spec_dir = Some(spec_dir(&file));
            print!("{}", build::graph_offline(src, &opts)?.render(format));
            Ok(())
        }),
        Cmd::Lsp => stagecraft::lsp::run().map_err(|e| format!("stagecraft lsp: {e}")),
        Cmd::Convert {
            dockerfile,
            output,
            syntax,
            lenient,
        } => convert(&dockerfile, output.as_deref(), syntax, lenient),
        Cmd::Schema => {
            print!("{}", stagecraft::spec::schema::text());
            Ok(())
        }
        Cmd::Check { file, format } => read(&file).and_then(|src| {
            // Warnings are shown; only errors fail the check.
            // Imports beside the spec are read and checked too (their
            // errors, not their warnings, as in a build).
            let mut opts = BuildOptions {
                filename: src.name.clone(),
                spec_dir: Some(spec_dir(&file)),
                ..Default::default()
            };
            opts.filename = src.name.clone();
            let (diags, failed, src) = match stagecraft::spec::parse(src.clone()) {
                Ok(spec) => {
                    let warnings = spec.warnings.clone();
                    match build::offline_imports_checked(spec, &opts) {
                        Ok(_) => (warnings, false, src),
                        Err((linked, errors)) => (errors, true, linked),
                    }
                }
                Err(d) => (d, true, src),
            };
            let path = file.display().to_string();
            let out = match format {
                Format::Text if diags.is_empty() => String::new(),
                Format::Text => {
                    eprintln!("{}", stagecraft::diag::render(&diags, &src));
                    String::new()
                }
                Format::Json => report::json(&diags, &src, &path) + "\n",
                Format::Github => report::github(&diags, &src, &path),
                Format::Sarif => report::sarif(&diags, &src, &path) + "\n",
            };
            print!("{out}");
            if failed {
                Err(String::new())
            } else {
                Ok(())
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("{e}");
            }
            ExitCode::FAILURE
        }
    }
}

/// `stagecraft convert`: the spec on stdout or in `output`.
fn convert(
    dockerfile: &std::path::Path,
    output: Option<&std::path::Path>,
    syntax: String,
    lenient: bool,
) -> Result<(), String> {
    let text = std::fs::read_to_string(dockerfile)
        .map_err(|e| format!("cannot read {}: {e}", dockerfile.display()))?;
    let name = dockerfile.display().to_string();
    let opts = stagecraft::dockerfile::ConvertOptions {
        syntax,
        source_name: name.clone(),
        lenient,
    };
    let converted = stagecraft::dockerfile::convert_counted(&text, &opts)
        .map_err(|e| format!("{name}:{}: {}", e.line, e.message))?;
    if converted.todo > 0 {
        eprintln!(
            "stagecraft convert: {} instruction(s) of {name} not converted: see the `# TODO(stagecraft convert)` comments",
            converted.todo
        );
    }
    match output {
        Some(path) => std::fs::write(path, converted.spec)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => {
            print!("{}", converted.spec);
            Ok(())
        }
    }
}

/// Runs the gateway session; exits the process once the result is returned.
fn frontend() -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async {
        let channel = transport::stdio_channel()
            .await
            .map_err(|e| e.to_string())?;
        let mut gw = Gateway::connect(channel).await.map_err(|e| e.to_string())?;
        let env: BTreeMap<String, String> = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .collect();
        // A build failure has been returned to BuildKit, which shows it; exit 0 either way.
        let _outcome = build::serve(&mut gw, &env)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<(), String>(())
    })?;
    // Exit at once: lingering runtime threads would keep the build waiting.
    std::process::exit(0)
}
