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

# The image's version labels: the crate version (which the binary reports
# too), the commit and the source (the checkout's origin remote, if any).
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml" | head -n1)
revision=$(git -C "$repo" rev-parse HEAD 2>/dev/null || true)
source_url=${STAGECRAFT_SOURCE:-$(git -C "$repo" remote get-url origin 2>/dev/null || true)}
labels=(--build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "SOURCE=$source_url")

echo "packaging $tag ($(du -h "$bin" | cut -f1) binary)" >&2
if [ "${STAGECRAFT_LEGACY:-0}" = 1 ] || [ -z "${STAGECRAFT_BUILDX:-}" ]; then
  DOCKER_BUILDKIT=1 "${STAGECRAFT_DOCKER:-docker}" build -q "${labels[@]}" -t "$tag" "$ctx" >&2
else
  $STAGECRAFT_BUILDX build --quiet --load "${labels[@]}" -t "$tag" "$ctx" >&2
fi
echo "$tag"
