#!/usr/bin/env bash
# Releases the frontend image: builds it with the self-hosted spec
# (stagecraft.yaml at the repository root) for linux/amd64 and linux/arm64,
# reproducibly (SOURCE_DATE_EPOCH from the last commit), and pushes it to
# REPO under the release channels the Dockerfile frontend uses:
# MAJOR, MAJOR.MINOR, MAJOR.MINOR.PATCH and latest, without a provenance
# attestation (it records the build's start and end, so every build's digest
# would differ; add --provenance=mode=max to have one). Writes release notes from
# the commits since the previous release tag (v*) and prints the pushed
# digest last.
#   scripts/release.sh REPO [BUILDX-BUILD-ARGS...]
#   scripts/release.sh registry.example/stagecraft
#   scripts/release.sh 127.0.0.1:5000/stagecraft --build-arg CRATES=crates --build-context crates=DIR
# Knobs (environment): STAGECRAFT_BUILDX (the buildx to run, default
# `docker buildx`), STAGECRAFT_FRONTEND (the frontend image that reads the
# spec, default its `# syntax=` line), STAGECRAFT_SOURCE (the source label,
# default the origin remote), STAGECRAFT_RELEASE_NOTES (the notes file,
# default target/release-notes/VERSION.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

if [ $# -lt 1 ] || [ -z "$1" ] || [ "${1#-}" != "$1" ]; then
  echo "usage: scripts/release.sh REPO [BUILDX-BUILD-ARGS...]  (e.g. registry.example/stagecraft)" >&2
  exit 2
fi
target_repo=$1
shift
# A tag or digest on REPO would be silently replaced by the channel tags.
last=${target_repo##*/}
if [ "${target_repo#*@}" != "$target_repo" ] || [ "${last#*:}" != "$last" ]; then
  echo "scripts/release.sh: REPO is a repository without tag or digest, not \`$target_repo\`" >&2
  exit 2
fi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml" | head -n1)
if ! printf '%s\n' "$version" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+$'; then
  echo "scripts/release.sh: the workspace version \`$version\` (Cargo.toml) is not MAJOR.MINOR.PATCH" >&2
  exit 1
fi
major=${version%%.*}
minor=${version%.*}
revision=$(git -C "$repo" rev-parse HEAD)
epoch=$(git -C "$repo" log -1 --format=%ct)
source_url=${STAGECRAFT_SOURCE:-$(git -C "$repo" remote get-url origin 2>/dev/null || true)}
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "scripts/release.sh: the checkout has uncommitted changes: a release is built from a commit" >&2
  exit 1
fi

# Release notes: the commits since the previous release tag.
notes=${STAGECRAFT_RELEASE_NOTES:-$repo/target/release-notes/$version.md}
previous=$(git -C "$repo" describe --tags --abbrev=0 --match 'v[0-9]*' HEAD 2>/dev/null || true)
range=${previous:+$previous..}HEAD
mkdir -p "$(dirname "$notes")"
{
  echo "# Stagecraft $version"
  echo
  echo "Image: \`$target_repo:$version\` (also \`:$minor\`, \`:$major\` and \`:latest\`), linux/amd64 and linux/arm64, commit \`$revision\`."
  echo
  if [ -n "$previous" ]; then echo "## Changes since $previous"; else echo "## Changes"; fi
  echo
  git -C "$repo" log --no-merges --format='- %s (%h)' "$range" | cut -c1-300
} > "$notes"
echo "release notes: $notes" >&2

buildx=${STAGECRAFT_BUILDX:-}
[ -n "$buildx" ] || buildx="docker buildx"
frontend=()
if [ -n "${STAGECRAFT_FRONTEND:-}" ]; then
  frontend=(--build-arg "BUILDKIT_SYNTAX=$STAGECRAFT_FRONTEND")
fi
names="$target_repo:$version,$target_repo:$minor,$target_repo:$major,$target_repo:latest"
metadata=$(mktemp)
trap 'rm -f "$metadata"' EXIT
echo "building $names" >&2
(cd "$repo" && $buildx build --progress=plain -f stagecraft.yaml \
  --platform linux/amd64,linux/arm64 \
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "SOURCE=$source_url" \
  --build-arg "SOURCE_DATE_EPOCH=$epoch" \
  "${frontend[@]}" \
  --metadata-file "$metadata" \
  --provenance=false \
  --output "type=image,\"name=$names\",push=true" \
  "$@" . >&2)
digest=$(sed -n 's/.*"containerimage.digest": *"\([^"]*\)".*/\1/p' "$metadata" | head -n1)
if [ -z "$digest" ]; then
  echo "scripts/release.sh: buildx wrote no image digest to its metadata file" >&2
  exit 1
fi
echo "pushed $names at $digest" >&2
echo "$digest"
