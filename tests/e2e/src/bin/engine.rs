//! `engine`: provisions the real Docker engines the end-to-end suite builds
//! on (`scripts/engine.sh` runs it). Only the env file's path goes to
//! stdout, as the last line; everything else goes to stderr.
//!
//! ```text
//! engine up    [LANE]      start (or reuse) an engine; prints the env file path
//! engine down  [LANE|all]  stop what `up` started
//! engine env   [LANE]      print the env file path if that lane is up, else exit 1
//! engine check [LANE]      smoke-test a lane that is up
//! LANE: main (default), legacy or docker26
//! ```

use std::process::ExitCode;

use e2e::lanes::Lane;
use e2e::provision::{self, host, Config};

const USAGE: &str =
    "usage: scripts/engine.sh up|down|env|check [main|legacy|docker26] (down also takes `all`)";

fn lane(arg: Option<&str>) -> Result<Lane, String> {
    let name = arg.unwrap_or("main");
    Lane::from_name(name)
        .ok_or_else(|| format!("unknown lane `{name}` (expected main, legacy or docker26)"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let arg = rest.first().map(String::as_str);
    let cfg = match Config::from_env(&e2e::repo()) {
        Ok(c) => c,
        Err(e) => {
            host::log(&format!("ERROR: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let result: Result<(), String> = match cmd {
        "up" => lane(arg).and_then(|l| {
            provision::up(&cfg, l)
                .map(|env| println!("{}", env.display()))
                .map_err(|e| e.to_string())
        }),
        "down" => {
            let lanes = match arg {
                None | Some("all") => Ok(Lane::ALL.to_vec()),
                Some(_) => lane(arg).map(|l| vec![l]),
            };
            lanes.and_then(|ls| {
                provision::down(&cfg, &ls, matches!(arg, None | Some("all")))
                    .map(|()| host::log(&format!("down: {}", arg.unwrap_or("all"))))
                    .map_err(|e| e.to_string())
            })
        }
        "env" => match lane(arg) {
            Ok(l) => match provision::env(&cfg, l) {
                Some(env) => {
                    println!("{}", env.display());
                    Ok(())
                }
                None => return ExitCode::FAILURE,
            },
            Err(e) => Err(e),
        },
        "check" => {
            lane(arg).and_then(|l| provision::check::check(&cfg, l).map_err(|e| e.to_string()))
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            host::log(&format!("ERROR: {e}"));
            ExitCode::FAILURE
        }
    }
}
