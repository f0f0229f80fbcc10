//! The engine on another host (the remote lane): a dockerd in a network
//! namespace of its own, reached over TCP. The frontend image is pulled from
//! the registry by that engine; the build context, secrets, ssh and the
//! exported files cross the network.

use e2e::{case, workdir, write_files, Case, Engine, Feature};

use crate::{contexts, run_mounts};

/// The lane is what it claims: buildx talks to the engine over TCP, and the
/// `# syntax` image is the registry's, resolved by that engine.
pub fn the_engine_is_remote_and_pulls_the_frontend_from_the_registry(engine: &Engine) {
    let host = engine.env.get("DOCKER_HOST").cloned().unwrap_or_default();
    assert!(host.starts_with("tcp://"), "DOCKER_HOST={host}");
    let registry = engine.registry();
    assert!(
        !registry.is_empty() && engine.image.starts_with(&registry),
        "the frontend `{}` comes from the registry `{registry}`",
        engine.image
    );
    let dir = workdir("remote-engine");
    write_files(
        &dir,
        engine,
        &[
            (
                "stagecraft.yaml",
                "# syntax=stagecraft:dev\nversion: 1\nstages:\n  a:\n    from: busybox\n    steps:\n      - copy: hello.txt\n        to: /hello.txt\n      - run: cat /hello.txt > /seen.txt\n",
            ),
            ("hello.txt", "sent over the network\n"),
        ],
    );
    let (b, out) = engine.export(&dir, &[]);
    b.assert_ok();
    b.assert_log_contains(&format!(
        "resolve image config for docker-image://{}",
        engine.image
    ));
    assert_eq!(
        std::fs::read_to_string(out.join("seen.txt")).unwrap(),
        "sent over the network\n"
    );
}

pub fn cases() -> Vec<Case> {
    vec![
        case(
            "the_engine_is_remote_and_pulls_the_frontend_from_the_registry",
            &[Feature::RemoteEngine],
            the_engine_is_remote_and_pulls_the_frontend_from_the_registry,
        ),
        // The same cases as on the local lanes, their data crossing the network.
        case(
            "dockerignored_files_never_reach_a_copy",
            &[Feature::RemoteEngine],
            contexts::dockerignored_files_never_reach_a_copy,
        ),
        case(
            "secrets_are_readable_as_file_and_env_and_never_in_the_image",
            &[Feature::RemoteEngine],
            run_mounts::secrets_are_readable_as_file_and_env_and_never_in_the_image,
        ),
        case(
            "ssh_mount_forwards_the_agent_and_required_ssh_fails_without_it",
            &[Feature::RemoteEngine],
            run_mounts::ssh_mount_forwards_the_agent_and_required_ssh_fails_without_it,
        ),
    ]
}
