#!/usr/bin/env bash
# scripts/engine.sh - provision a real Docker engine (with BuildKit/buildx)
# for Stagecraft's end-to-end tests. A thin wrapper: the provisioning is the
# `engine` binary of tests/e2e (tests/e2e/src/provision/), which shares its
# table of lanes with the end-to-end harness.
#
# Usage:
#   scripts/engine.sh up    [LANE]       start (or reuse) an engine; prints the
#                                        env file path as the LAST line of
#                                        stdout (everything else: stderr)
#   scripts/engine.sh down  [LANE|all]   stop what this script started
#   scripts/engine.sh env   [LANE]       print the env file path if that lane
#                                        is up, else exit 1
#   scripts/engine.sh check [LANE]       smoke-test a lane that is up
#   LANE: main (default), legacy, docker26 or remote
#
# Then:  . "$(scripts/engine.sh up main)"
#        "$STAGECRAFT_BUILDX" build -f stagecraft.yaml .
#
# Knobs (environment): STAGECRAFT_PRIVATE_ENGINE=1, STAGECRAFT_MAIN_SUITES,
# STAGECRAFT_MAIN_CONTAINERD, STAGECRAFT_DOCKER26_CONTAINERD,
# STAGECRAFT_ENGINE_REFRESH=1, STAGECRAFT_ENGINE_CACHE, STAGECRAFT_ENGINE_DATA
# (see scripts/README.md). The private engines need root.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }
# cargo builds quietly (on stderr); only the binary writes to stdout.
exec cargo run --quiet --locked --manifest-path "$repo/Cargo.toml" -p e2e --bin engine -- "$@"
