#!/usr/bin/env bash
# Builds the static stagecraft binary on the host and packages it as the
# frontend image (default tag stagecraft:dev) on the engine described by the
# sourced env file (scripts/engine.sh up). Prints the image tag last.
#   scripts/frontend-image.sh [TAG]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
tag=${1:-stagecraft:dev}
arch=$(uname -m)
triple="${arch}-unknown-linux-gnu"

echo "building the static frontend binary ($triple)" >&2
(cd "$repo" && RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target "$triple" -p stagecraft >&2)
bin="$repo/target/$triple/release/stagecraft"

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/stagecraft"
cp "$repo/Dockerfile.prebuilt" "$ctx/Dockerfile"

echo "packaging $tag ($(du -h "$bin" | cut -f1) binary)" >&2
if [ "${STAGECRAFT_LEGACY:-0}" = 1 ] || [ -z "${STAGECRAFT_BUILDX:-}" ]; then
  DOCKER_BUILDKIT=1 "${STAGECRAFT_DOCKER:-docker}" build -q -t "$tag" "$ctx" >&2
else
  $STAGECRAFT_BUILDX build --quiet --load -t "$tag" "$ctx" >&2
fi
echo "$tag"
