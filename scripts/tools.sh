#!/usr/bin/env bash
# The test tools that are not Rust crates, pinned, in .tools/ (ignored by
# git): check-jsonschema, the independent validator the schema and SARIF
# tests run (frontend/tests/schema.rs, check_cli.rs). Idempotent; prints
# nothing when the tools are already there.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv="$repo/.tools/venv"
version=0.39.0
if [ "$("$venv/bin/check-jsonschema" --version 2>/dev/null)" != "check-jsonschema, version $version" ]; then
  command -v python3 >/dev/null || { echo "python3 is required for check-jsonschema" >&2; exit 1; }
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "check-jsonschema==$version"
fi
