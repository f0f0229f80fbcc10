//! The SBOM of a result (`--sbom`): the scanner image run on the result and
//! on the extras (stages and the build context marked for scanning), as
//! BuildKit's own frontends run it, and the attestation that names its
//! output. BuildKit then does not scan the result itself.
//!
//! The scanner's protocol: the result read-only at
//! `/run/src/core/sbom`, each extra at `/run/src/extras/sbom-NAME`,
//! `BUILDKIT_SCAN_SOURCE`, `BUILDKIT_SCAN_SOURCE_EXTRAS` and
//! `BUILDKIT_SCAN_DESTINATION` naming them, and the SPDX documents it
//! writes to `/run/out` the attestation bundle. This module builds LLB and
//! the attestation; it does no IO.

use std::collections::BTreeMap;

use bollard_buildkit_proto::moby::buildkit::v1::frontend as fpb;
use llb::exec::{BindAccess, Exec, Mount};
use llb::op::{Constraints, OpMeta, State};
use llb::{source, Platform};

use crate::image::Image;
use crate::options::SbomRequest;

const SRC_DIR: &str = "/run/src";
const OUT_DIR: &str = "/run/out";
/// The result's name among what is scanned (BuildKit's `CoreSBOMName`).
pub const CORE: &str = "sbom";

/// A resolved scanner: its reference and image config.
#[derive(Debug, Clone)]
pub struct Scanner {
    pub reference: llb::reference::Reference,
    /// Pinned to what was resolved.
    pub digest: String,
    pub config: Image,
    pub params: BTreeMap<String, String>,
}

/// Why a scanner cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScannerError {
    #[error("--sbom generator `{0}` has no entrypoint or cmd to run")]
    NoCommand(String),
}

impl Scanner {
    /// The scanner `request` names, resolved as `reference` (its parsed
    /// generator) to `digest` and `config`.
    pub fn new(
        request: &SbomRequest,
        reference: llb::reference::Reference,
        digest: String,
        config: Image,
    ) -> Result<Self, ScannerError> {
        if config.config.entrypoint.as_ref().is_none_or(Vec::is_empty)
            && config.config.cmd.as_ref().is_none_or(Vec::is_empty)
        {
            return Err(ScannerError::NoCommand(request.generator.clone()));
        }
        Ok(Self {
            reference,
            digest,
            config,
            params: request.params.clone(),
        })
    }

    /// The scan of `core` (the result for `platform`, named `id` in
    /// progress) and `extras`: the state of the scanner's output directory.
    pub fn scan(
        &self,
        id: &str,
        core: &State,
        extras: &[(String, State)],
        platform: &Platform,
    ) -> State {
        let cfg = &self.config.config;
        let args: Vec<String> = cfg
            .entrypoint
            .iter()
            .flatten()
            .chain(cfg.cmd.iter().flatten())
            .cloned()
            .collect();
        let mut exec = Exec::new(args);
        exec.env.clone_from(&cfg.env);
        exec.env
            .push(format!("BUILDKIT_SCAN_DESTINATION={OUT_DIR}"));
        exec.env
            .push(format!("BUILDKIT_SCAN_SOURCE={SRC_DIR}/core/{CORE}"));
        if !extras.is_empty() {
            exec.env
                .push(format!("BUILDKIT_SCAN_SOURCE_EXTRAS={SRC_DIR}/extras/"));
        }
        for (k, v) in &self.params {
            exec.env.push(format!(
                "BUILDKIT_SCAN_{}={v}",
                k.to_uppercase().replace('-', "_")
            ));
        }
        if !cfg.working_dir.is_empty() {
            exec.cwd.clone_from(&cfg.working_dir);
        }
        exec.mounts.push(Mount::Tmpfs {
            dest: "/tmp".to_owned(),
            size: None,
        });
        exec.mounts.push(Mount::Bind {
            dest: format!("{SRC_DIR}/core/{CORE}"),
            state: core.clone(),
            selector: String::new(),
            access: BindAccess::ReadOnly,
        });
        for (name, state) in extras {
            exec.mounts.push(Mount::Bind {
                dest: format!("{SRC_DIR}/extras/{CORE}-{name}"),
                state: state.clone(),
                selector: String::new(),
                access: BindAccess::ReadOnly,
            });
        }
        exec.mounts.push(Mount::Bind {
            dest: OUT_DIR.to_owned(),
            state: State::scratch(),
            selector: String::new(),
            access: BindAccess::Output,
        });
        let mut pinned = self.reference.clone();
        if !self.digest.is_empty() {
            pinned.digest = Some(self.digest.clone());
        }
        let root = source::image(
            &pinned,
            Constraints::for_platform(platform),
            OpMeta::default().with_name(crate::progress::image(&pinned.to_string())),
        );
        let out = exec.run(
            &root,
            Constraints::for_platform(platform),
            OpMeta::default().with_name(crate::progress::sbom(id, &self.reference.to_string())),
        );
        out.writable_mounts
            .into_iter()
            .find(|(dest, _)| dest == OUT_DIR)
            .map(|(_, st)| st)
            .unwrap_or_default()
    }
}

/// The attestation of a solved scan (`ref_id`): a bundle of SPDX documents,
/// the one named `sbom` describing the result, as BuildKit's frontends mark it.
pub fn attestation(ref_id: &str) -> fpb::Attestation {
    fpb::Attestation {
        kind: fpb::AttestationKind::Bundle as i32,
        metadata: [
            ("reason".to_owned(), b"sbom".to_vec()),
            ("sbom-core".to_owned(), CORE.as_bytes().to_vec()),
        ]
        .into_iter()
        .collect(),
        r#ref: Some(fpb::Ref {
            id: ref_id.to_owned(),
            def: None,
        }),
        path: String::new(),
        in_toto_predicate_type: "https://spdx.dev/Document".to_owned(),
        in_toto_subjects: Vec::new(),
    }
}
