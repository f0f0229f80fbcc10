#!/usr/bin/env bash
# scripts/lint-shell.sh - shellcheck every tracked shell script: the *.sh
# files, .ci/run and any other tracked file whose first line is a sh/bash
# shebang. Exits non-zero on any finding (CI calls it). Installs shellcheck
# with apt-get when it is missing and we are root.
#
#   scripts/lint-shell.sh [SHELLCHECK-OPTION...]   e.g. -f gcc
#
# Files without a shebang (the examples' src/main.sh, which the examples'
# builds append to a `#!/bin/sh` line) are checked as POSIX sh unless they
# carry a `# shellcheck shell=...` directive.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

if ! command -v shellcheck >/dev/null; then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "shellcheck is missing: installing it with apt-get" >&2
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q shellcheck >&2
  else
    echo "shellcheck is required: install it (e.g. apt-get install shellcheck, as root)" >&2
    exit 1
  fi
fi

shebang_re='^#![[:space:]]*(/usr)?(/local)?/bin/(env[[:space:]]+(-S[[:space:]]+)?)?(ba|da)?sh([[:space:]]|$)'

declare -A seen=()
files=()
add() {
  local f=$1
  [[ -f $f && -z ${seen[$f]+x} ]] || return 0
  seen[$f]=1
  files+=("$f")
}

mapfile -d '' -t sh_files < <(git ls-files -z -- '*.sh')
for f in "${sh_files[@]}"; do add "$f"; done
add .ci/run
# Candidates: tracked text files with a shebang-like line anywhere; keep those
# where it is the first line.
mapfile -d '' -t candidates < <(git grep -z -I -l -E "$shebang_re" -- . || true)
for f in "${candidates[@]}"; do
  first=
  IFS= read -r first <"$f" || true
  [[ $first =~ $shebang_re ]] && add "$f"
done

mapfile -t files < <(printf '%s\n' "${files[@]}" | LC_ALL=C sort)

failed=()
for f in "${files[@]}"; do
  opts=(-x --source-path=SCRIPTDIR)
  first=
  IFS= read -r first <"$f" || true
  if [[ $first != '#!'* ]] && ! grep -Eq '^[[:space:]]*#[[:space:]]*shellcheck[[:space:]].*shell=' "$f"; then
    opts+=(--shell=sh)
  fi
  shellcheck "${opts[@]}" "$@" -- "$f" || failed+=("$f")
done

if ((${#failed[@]})); then
  echo "shellcheck: findings in ${#failed[@]} of ${#files[@]} files: ${failed[*]}" >&2
  exit 1
fi
echo "shellcheck: ${#files[@]} files clean"
