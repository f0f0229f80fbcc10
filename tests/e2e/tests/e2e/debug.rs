//! `docker buildx debug`: a shell in the failed `run` step, as for a Dockerfile.

use std::time::Duration;

use e2e::{case, pty, workdir, write_files, Case, Engine, Feature};

/// `buildx debug --on error build` opens a shell in the filesystem of the
/// failed `run` step (what the step wrote before it failed is there), on a
/// terminal; the target is returned unevaluated, as the Dockerfile
/// frontend returns it, so buildx holds the failed step's state.
pub fn debug_on_error_opens_a_shell_in_the_failed_run(engine: &Engine) {
    let dir = workdir("debug-on-error");
    write_files(
        &dir,
        engine,
        &[(
            "stagecraft.yaml",
            "# syntax=stagecraft:dev\nversion: 1\nstages:\n  app:\n    from: busybox\n    steps:\n      - run: echo written-before-failing > /x && false\n",
        )],
    );
    let (mut argv, mut env) = engine.buildx_argv();
    argv.extend(
        [
            "debug",
            "--on",
            "error",
            "build",
            "--progress=plain",
            "-f",
            "stagecraft.yaml",
            ".",
        ]
        .map(str::to_owned),
    );
    env.push(("BUILDX_EXPERIMENTAL".to_owned(), "1".to_owned()));
    let talk = || {
        pty::converse(
            &env,
            &dir,
            &argv,
            &[
                ("Enter 'help'", "cat /x; echo shell-says-$((40+2))\n"),
                ("shell-says-42", "exit\n"),
                // Back in buildx's monitor, which ends the build.
                ("(buildx)", "exit\n"),
            ],
            Duration::from_secs(120),
        )
    };
    // The buildx of some lanes (Docker 26.1's) sometimes crashes in its own
    // progress printer as the monitor starts (`panic: close of closed
    // channel` in progress.(*Printer).Pause, a race in buildx): that run
    // says nothing about the frontend, so it is tried again, twice at most.
    let mut attempt = talk();
    for _ in 0..2 {
        if attempt.1 || !attempt.0.contains("panic: close of closed channel") {
            break;
        }
        attempt = talk();
    }
    let (transcript, all_came) = attempt;
    assert!(all_came, "the debug shell never answered:\n{transcript}");
    assert!(
        transcript.contains("written-before-failing"),
        "the shell runs in the failed step's filesystem:\n{transcript}"
    );
}

pub fn cases() -> Vec<Case> {
    vec![case(
        "debug_on_error_opens_a_shell_in_the_failed_run",
        &[Feature::Buildx],
        debug_on_error_opens_a_shell_in_the_failed_run,
    )]
}
