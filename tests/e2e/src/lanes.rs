//! The engine lanes the end-to-end suite runs on, and the engine features
//! each one has: the one table the harness (which lane runs which test) and
//! the provisioning (`scripts/engine.sh`) share.
//!
//! A test states the features it needs; it runs on every lane that has them
//! all ([`crate::matrix`]).

/// An engine lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lane {
    /// A recent engine: Debian sid's dockerd 28 with the containerd image
    /// store, buildx 0.29 (or the engine the caller already has).
    Main,
    /// Docker 20.10 (Debian bookworm), embedded BuildKit ≈ 0.8, driven by
    /// `DOCKER_BUILDKIT=1 docker build`.
    Legacy,
    /// Docker 26.1 (Debian trixie) with the classic image store and buildx
    /// 0.13: MergeOp is announced as disabled.
    Docker26,
    /// The main lane's Docker 28.5 on another host: a dockerd in a network
    /// namespace of its own, reached over TCP, that pulls the frontend image
    /// from the registry. Only the cases that ask for it run here.
    Remote,
}

/// What a test may need of an engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Feature {
    /// Builds go through `docker buildx build` (not the legacy client).
    Buildx,
    /// The legacy client: `DOCKER_BUILDKIT=1 docker build`.
    LegacyClient,
    /// buildx's `--call` (subrequests: targets, outline, check).
    Call,
    /// BuildKit's MergeOp (`link: true` as independent layers).
    MergeOp,
    /// The engine lacks MergeOp (the plain-copy fallback of `link: true`).
    NoMergeOp,
    /// Multi-platform builds (`--platform a,b`; the containerd image store).
    MultiPlatform,
    /// The classic image store (graph drivers, no containerd snapshotter).
    ClassicImageStore,
    /// `--build-context NAME=…`.
    BuildContexts,
    /// Frontend warnings shown by the client (`gateway.warnings`).
    Warnings,
    /// Git sources pinned to a commit (LLB cap `source.git.checksum`).
    GitChecksum,
    /// Cache export and import (`--cache-to`/`--cache-from` with the docker
    /// driver: the containerd image store).
    CacheExport,
    /// `-o type=oci` with the docker driver (the containerd image store).
    OciExport,
    /// Attestations (`--sbom`, `--provenance`) exported with the docker
    /// driver (the containerd image store).
    Attestations,
    /// Error details Stagecraft decodes to name the failing op, so that a
    /// failed download or git fetch is explained in spec terms: `errdefs.Solve`
    /// (JSON) or `errdefs.Vertex` (Docker 26.1). Docker 20.10's legacy
    /// client is not checked.
    FailedOpDetails,
    /// Docker 20.10's quirks: capitalised worker JSON, `null`s in configs.
    Docker2010,
    /// The engine is on another host, reached over the network (the remote
    /// lane): the build context, secrets, ssh and outputs cross it.
    RemoteEngine,
    /// Docker 26.1 exactly.
    Docker26,
    /// The toolchain images (a JDK, Go, Node.js, nginx and a minimal Debian,
    /// made from Debian packages by `provision::toolchains`), which the main
    /// lane's provisioning imports.
    Toolchains,
    /// BuildKit reaches the servers a test starts on the host's 127.0.0.1
    /// (a git daemon, an http server): every lane but the remote one.
    HostServers,
    /// The daemon grants `security.insecure` to a build that asks with
    /// `--allow security.insecure` (main's `daemon.json`: `builder.entitlements`).
    InsecureEntitlement,
}

impl Lane {
    /// Every lane, in the order tests run on them.
    pub const ALL: [Lane; 4] = [Lane::Main, Lane::Legacy, Lane::Docker26, Lane::Remote];

    /// The lane's name, as `scripts/engine.sh up NAME` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Lane::Main => "main",
            Lane::Legacy => "legacy",
            Lane::Docker26 => "docker26",
            Lane::Remote => "remote",
        }
    }

    pub fn from_name(name: &str) -> Option<Lane> {
        Lane::ALL.into_iter().find(|l| l.name() == name)
    }

    /// The features the lane's engine has.
    pub fn features(self) -> &'static [Feature] {
        use Feature::*;
        match self {
            Lane::Main => &[
                Buildx,
                Call,
                MergeOp,
                MultiPlatform,
                BuildContexts,
                Warnings,
                GitChecksum,
                CacheExport,
                OciExport,
                Attestations,
                FailedOpDetails,
                Toolchains,
                InsecureEntitlement,
                HostServers,
            ],
            Lane::Legacy => &[
                LegacyClient,
                NoMergeOp,
                ClassicImageStore,
                Docker2010,
                HostServers,
            ],
            Lane::Docker26 => &[
                Buildx,
                NoMergeOp,
                ClassicImageStore,
                BuildContexts,
                Warnings,
                Docker26,
                HostServers,
                FailedOpDetails,
            ],
            Lane::Remote => &[RemoteEngine],
        }
    }

    /// Whether the lane has every feature of `needs`.
    pub fn has_all(self, needs: &[Feature]) -> bool {
        needs.iter().all(|f| self.features().contains(f))
    }

    /// The variable that leaves the lane out of a run (`STAGECRAFT_SKIP_LEGACY=1`);
    /// the main lane cannot be left out.
    pub fn skip_knob(self) -> Option<&'static str> {
        match self {
            Lane::Main => None,
            Lane::Legacy => Some("STAGECRAFT_SKIP_LEGACY"),
            Lane::Docker26 => Some("STAGECRAFT_SKIP_DOCKER26"),
            Lane::Remote => Some("STAGECRAFT_SKIP_REMOTE"),
        }
    }

    /// Whether this run leaves the lane out (its tests are reported as ignored).
    pub fn skipped(self) -> bool {
        self.skip_knob()
            .is_some_and(|k| std::env::var(k).is_ok_and(|v| v == "1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_have_consistent_features() {
        for lane in Lane::ALL {
            let f = lane.features();
            // Contradictory features never go together (a lane may claim
            // neither: the remote lane runs only the cases that ask for it).
            assert!(
                !(f.contains(&Feature::MergeOp) && f.contains(&Feature::NoMergeOp)),
                "{lane:?}"
            );
            assert!(
                !(f.contains(&Feature::Buildx) && f.contains(&Feature::LegacyClient)),
                "{lane:?}"
            );
            assert_eq!(Lane::from_name(lane.name()), Some(lane));
        }
    }
}
