#!/usr/bin/env bash
# The main job, from a fresh machine: make a Docker engine with buildx
# reachable (yours if there is one, else a private one), build the frontend
# image stagecraft:dev, then build examples/multistage with it through
# `docker buildx build` and run the result.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }

env_file=$(scripts/engine.sh up main)
# shellcheck disable=SC1090
. "$env_file"
image=$(scripts/frontend-image.sh stagecraft:dev)

buildx=${STAGECRAFT_BUILDX:-}
[ -n "$buildx" ] || buildx="docker buildx"
echo "building examples/multistage with $image on $STAGECRAFT_ENGINE" >&2
(cd examples/multistage && $buildx build --progress=plain -f stagecraft.yaml --load -t stagecraft-example:multistage .)
echo "running stagecraft-example:multistage:" >&2
"${STAGECRAFT_DOCKER:-docker}" run --rm stagecraft-example:multistage
