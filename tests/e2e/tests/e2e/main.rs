//! The end-to-end suite: builds through a real engine, one module per
//! feature, each case run on every engine lane that has the features it
//! needs (`e2e::matrix`, `e2e::lanes`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod build_options;
mod cache_interop;
mod ci;
mod conditions;
mod context_transfer;
mod contexts;
mod copy_add;
mod debug;
mod defaults;
mod differential;
mod errors;
mod examples;
mod imports;
mod link_fallback;
mod lock;
mod matrix;
mod parity;
mod platforms;
mod release;
mod remote;
mod run_args;
mod run_mounts;
mod run_options;
mod sbom;
mod self_hosted;
mod stages;
mod subrequests;
mod typed_args;
mod walkthroughs;
mod warnings;

fn main() {
    e2e::matrix::main(vec![
        ("examples", examples::cases()),
        ("walkthroughs", walkthroughs::cases()),
        ("errors", errors::cases()),
        ("sbom", sbom::cases()),
        ("debug", debug::cases()),
        ("copy_add", copy_add::cases()),
        ("run_mounts", run_mounts::cases()),
        ("run_args", run_args::cases()),
        ("typed_args", typed_args::cases()),
        ("defaults", defaults::cases()),
        ("conditions", conditions::cases()),
        ("matrix", matrix::cases()),
        ("imports", imports::cases()),
        ("lock", lock::cases()),
        ("run_options", run_options::cases()),
        ("stages", stages::cases()),
        ("platforms", platforms::cases()),
        ("contexts", contexts::cases()),
        ("build_options", build_options::cases()),
        ("ci", ci::cases()),
        ("remote", remote::cases()),
        ("warnings", warnings::cases()),
        ("subrequests", subrequests::cases()),
        ("release", release::cases()),
        ("self_hosted", self_hosted::cases()),
        ("context_transfer", context_transfer::cases()),
        ("parity", parity::cases()),
        ("differential", differential::cases()),
        ("cache_interop", cache_interop::cases()),
        ("link_fallback", link_fallback::cases()),
    ])
}
