#!/usr/bin/env bash
# Coverage-guided fuzzing with cargo-fuzz (libFuzzer) on the stable
# toolchain, without a sanitizer (`-s none`; with AddressSanitizer use
# `RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET` in fuzz/). docs/fuzzing.md.
#
#   scripts/fuzz.sh list                 the targets
#   scripts/fuzz.sh run TARGET [RUNS]    RUNS executions (default 10,000,000),
#                                        growing fuzz/corpus/TARGET
#   scripts/fuzz.sh ci [SECONDS]         every target for SECONDS (default 10)
#                                        on a copy of the committed corpus
#
# A crash stops the run and leaves fuzz/artifacts/TARGET/crash-*: add it as a
# fixture (see CONTRIBUTING.md) before fixing it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo/fuzz"

targets=(yaml_to_model variables compile options gateway_replies convert imports)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked >&2
fi

case "${1:-}" in
  list)
    printf '%s\n' "${targets[@]}"
    ;;
  run)
    target=${2:?usage: scripts/fuzz.sh run TARGET [RUNS]}
    runs=${3:-10000000}
    mkdir -p "corpus/$target"
    cargo fuzz run -s none "$target" "corpus/$target" -- \
      -runs="$runs" -max_len=2048 -print_final_stats=1
    ;;
  ci)
    seconds=${2:-10}
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    cargo fuzz build -s none >&2
    for target in "${targets[@]}"; do
      mkdir -p "$scratch/$target" "corpus/$target"
      echo "fuzz: $target for ${seconds}s" >&2
      # New inputs go to the first directory: the committed corpus stays as is.
      status=0
      cargo fuzz run -s none "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=2048 >"$scratch/$target.log" 2>&1 || status=$?
      grep -E '^Done|ERROR|panicked|SUMMARY' "$scratch/$target.log" >&2 || true
      if [ "$status" != 0 ]; then
        tail -40 "$scratch/$target.log" >&2
        echo "fuzz: $target failed (see fuzz/artifacts/$target)" >&2
        exit 1
      fi
    done
    ;;
  *)
    sed -n '2,14p' "$0" >&2
    exit 2
    ;;
esac
