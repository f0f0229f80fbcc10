//! What the fake engine received, for the tests to assert on.

use std::sync::atomic::AtomicUsize;
use std::sync::Mutex;

use bollard_buildkit_proto::moby::buildkit::v1::frontend::{self as fpb};

/// What the fake received.
#[derive(Default)]
pub struct Log {
    /// Solve `i` was answered with `ref-{i+1}` (unless it failed).
    pub solves: Vec<fpb::SolveRequest>,
    pub resolves: Vec<fpb::ResolveImageConfigRequest>,
    pub returns: Vec<fpb::ReturnRequest>,
    pub warns: Vec<fpb::WarnRequest>,
}

#[derive(Default)]
pub struct Recorder {
    pub log: Mutex<Log>,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
}

impl Recorder {
    pub fn solves(&self) -> Vec<fpb::SolveRequest> {
        self.log.lock().unwrap().solves.clone()
    }

    pub fn warns(&self) -> Vec<fpb::WarnRequest> {
        self.log.lock().unwrap().warns.clone()
    }

    /// The one `Return` of the session.
    pub fn returned(&self) -> fpb::ReturnRequest {
        let log = self.log.lock().unwrap();
        assert_eq!(log.returns.len(), 1, "expected exactly one Return");
        log.returns[0].clone()
    }
}
