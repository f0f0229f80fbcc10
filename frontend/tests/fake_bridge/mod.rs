//! An in-process fake LLBBridge for the gateway protocol tests, one file per
//! concern: [`engine`] (what it supports), [`recorder`] (what it received),
//! [`service`] (the LLBBridge service), [`session`] (connecting a frontend
//! session to it) and [`inspect`] (looking into definitions and results).
//!
//! The fake serves `LlbBridgeServer` over one end of a `tokio::io::duplex`
//! pipe and the frontend connects to the other end with
//! `transport::channel_over`, as it does over stdio in production. It answers
//! `Ping` with configurable caps, solves every definition to `ref-N`, serves
//! the spec from the spec's local source, resolves every image to a
//! busybox-like config, and records what it receives (warnings included).
//!
//! It is not an engine: nothing is built, and the calls the frontend should
//! not make answer `Unimplemented`.

#![allow(dead_code)]

pub mod engine;
pub mod inspect;
pub mod recorder;
pub mod service;
pub mod session;

pub use engine::*;
pub use inspect::*;
pub use recorder::*;
pub use service::*;
pub use session::*;

pub const SESSION: &str = "sess-0123";
pub const SPEC_FILE: &str = "stagecraft.yaml";
pub const BUSYBOX_CONFIG: &str = r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["sh"],"WorkingDir":"/"}}"#;
