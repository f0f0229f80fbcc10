//! The lane matrix: every test case states the engine features it needs
//! and runs once on every lane that has them, as its own test named
//! `<group>::<case>::<lane>` (a libtest-compatible harness, so `cargo test`
//! filters, counts and reports them as usual). A lane left out of a run
//! (`STAGECRAFT_SKIP_LEGACY=1`, `STAGECRAFT_SKIP_DOCKER26=1`) reports its
//! tests as ignored, never as passed.

use crate::lanes::{Feature, Lane};
use crate::Engine;

/// One end-to-end test.
pub struct Case {
    pub name: &'static str,
    pub needs: &'static [Feature],
    pub run: fn(&Engine),
}

/// A case that needs `needs`.
pub const fn case(name: &'static str, needs: &'static [Feature], run: fn(&Engine)) -> Case {
    Case { name, needs, run }
}

/// Runs the cases of every group on their lanes and exits with the result.
pub fn main(groups: Vec<(&'static str, Vec<Case>)>) -> ! {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = Vec::new();
    for (group, cases) in groups {
        for c in cases {
            let mut lanes = 0;
            for lane in Lane::ALL.into_iter().filter(|l| l.has_all(c.needs)) {
                lanes += 1;
                let run = c.run;
                trials.push(
                    libtest_mimic::Trial::test(
                        format!("{group}::{}::{}", c.name, lane.name()),
                        move || {
                            run(Engine::for_lane(lane));
                            Ok(())
                        },
                    )
                    .with_ignored_flag(lane.skipped()),
                );
            }
            assert!(
                lanes > 0,
                "{group}::{}: no lane has all of {:?}",
                c.name,
                c.needs
            );
        }
    }
    libtest_mimic::run(&args, trials).exit()
}
