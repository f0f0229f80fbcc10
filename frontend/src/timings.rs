//! Phase timings of one frontend session, written as one line to stderr (the
//! daemon log) when the session ends: the instrument `scripts/bench.sh` uses
//! to split a build's wall time into the engine's part (before the frontend
//! starts, after it returns) and Stagecraft's own. It is not a progress
//! stream for the user and never changes what a build does.

use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The marks of one session, from the process start.
pub struct Timings {
    /// Wall clock at the start, in microseconds since the Unix epoch (so
    /// that a benchmark can relate it to the time it started the build).
    start_unix_us: u128,
    start: Instant,
    marks: Mutex<Vec<(&'static str, u128)>>,
}

impl Default for Timings {
    fn default() -> Self {
        Self::new()
    }
}

impl Timings {
    pub fn new() -> Self {
        Self {
            start_unix_us: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_micros()),
            start: Instant::now(),
            marks: Mutex::new(Vec::new()),
        }
    }

    /// Records that the phase `name` ended now.
    pub fn mark(&self, name: &'static str) {
        let at = self.start.elapsed().as_micros();
        if let Ok(mut m) = self.marks.lock() {
            m.push((name, at));
        }
    }

    /// `stagecraft timings: start=<unix µs> ping=<µs> read=<µs> …`: each mark's
    /// time since the start, in microseconds.
    pub fn line(&self) -> String {
        let mut out = format!("stagecraft timings: start={}", self.start_unix_us);
        if let Ok(m) = self.marks.lock() {
            for (name, at) in m.iter() {
                out.push_str(&format!(" {name}={at}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_listed_in_order_with_their_names() {
        let t = Timings::new();
        t.mark("ping");
        t.mark("read");
        let line = t.line();
        let fields: Vec<&str> = line.split(' ').skip(2).collect();
        assert!(fields[0].starts_with("start="), "{line}");
        assert!(fields[1].starts_with("ping="), "{line}");
        assert!(fields[2].starts_with("read="), "{line}");
        let us = |f: &str| f.split_once('=').unwrap().1.parse::<u128>().unwrap();
        assert!(us(fields[1]) <= us(fields[2]));
    }
}
