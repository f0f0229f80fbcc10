#!/usr/bin/env bash
# scripts/bench.sh - Stagecraft against the built-in Dockerfile frontend, side by
# side on the same engine, plus offline compile times (issue 6, docs/performance.md).
#
# Usage:
#   scripts/bench.sh [--runs N] [--build] [--image TAG]
#                                           side by side on the main engine, then
#                                           offline `stagecraft compile`
#   scripts/bench.sh --scaling [--max-n N]  offline scaling table only (no engine):
#                                           check/compile of chain, fan and monorepo
#                                           at N = 250, 500, ... up to --max-n (4000)
#   scripts/bench.sh --stress               offline check/compile of the stress inputs
#                                           of issue 6 (20,000 env entries, 80,000-char
#                                           misspelt stage names, 45,000 unknown keys,
#                                           1000 stages x 1000 args), 60 s limit each
#   scripts/bench.sh --self-hosted          the frontend image the root stagecraft.yaml
#                                           builds for linux/amd64 and linux/arm64 (issue 13):
#                                           its size per platform (goal <= 4 MB) and the
#                                           cached rebuild of examples/multistage with it,
#                                           beside stagecraft:dev and the Dockerfile frontend
#   scripts/bench.sh --all                  all of the above
#
# Side by side, each timed as the median of N runs (default 5) after a warm-up:
#   - `docker buildx build --call=check` of generated builds (scripts/gen-spec.py):
#     a 1000-stage fan and a 400-stage chain, the spec and its Dockerfile twin;
#   - a fully cached rebuild (`--output type=cacheonly`) of examples/multistage
#     and of its twin scripts/bench/multistage.Dockerfile;
#   - offline `stagecraft compile` of a 1000-stage fan and a 1000-stage chain.
# The Dockerfile twins have no `# syntax` line: the engine's built-in Dockerfile
# frontend runs them. Stagecraft runs from the image stagecraft:dev, or TAG
# (specs and a copy of the example get `# syntax=TAG`); stagecraft:dev is built
# with scripts/frontend-image.sh when missing, or always with --build. The
# offline CLI is $STAGECRAFT_BIN (default: the release binary that script builds).
#
# Timing uses hyperfine when it is installed (or installable with apt-get), else
# a loop over `date +%s%N` (also with STAGECRAFT_BENCH_NO_HYPERFINE=1). Every command has a time limit, so the script always
# stops by itself; its temporary files are removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
gen="$here/gen-spec.py"
twin="$here/bench/multistage.Dockerfile"
bin=${STAGECRAFT_BIN:-"$repo/target/$(uname -m)-unknown-linux-gnu/release/stagecraft"}
image=stagecraft:dev

runs=5
mode=side
build=0
max_n=4000
scaling_limit=20      # seconds: a size that takes longer ends its series
cmd_limit=600         # seconds: hard limit for any one timed series

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=${2:?}; shift ;;
    --build) build=1 ;;
    --image) image=${2:?}; shift ;;
    --scaling) mode=scaling ;;
    --stress) mode=stress ;;
    --self-hosted) mode=self_hosted ;;
    --all) mode=all ;;
    --max-n) max_n=${2:?}; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
  shift
done
case $runs in ''|*[!0-9]*|0) echo "--runs needs a positive number" >&2; exit 2 ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stagecraft-bench.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

have_root() { [ "$(id -u)" = 0 ]; }

apt_install() { # best effort: apt_install PACKAGE
  have_root && command -v apt-get >/dev/null || return 1
  log "installing $1 with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >"$tmp/apt.log" 2>&1 ||
    { apt-get update -q >>"$tmp/apt.log" 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >>"$tmp/apt.log" 2>&1; }
}

# --- timing ------------------------------------------------------------------
use_hyperfine=0
setup_timer() {
  if [ "${STAGECRAFT_BENCH_NO_HYPERFINE:-0}" != 1 ] &&
    { command -v hyperfine >/dev/null || apt_install hyperfine; }; then
    use_hyperfine=1
  else
    log "hyperfine is not available: timing with a date +%s%N loop"
  fi
}

# median_ms NAME CMD...: runs CMD (no shell) once to warm up, then $runs times,
# and prints the median wall time in milliseconds. Fails if CMD fails.
median_ms() {
  local name=$1; shift
  local out="$tmp/$name.json"
  if [ "$use_hyperfine" = 1 ]; then
    local cmdline="" a
    for a in "$@"; do cmdline+="${cmdline:+ }$(printf '%q' "$a")"; done
    timeout "$cmd_limit" hyperfine --style none -N --warmup 1 --runs "$runs" \
      --export-json "$out" "$cmdline" >"$tmp/$name.log" 2>&1 ||
      { log "$name failed:"; tail -n 20 "$tmp/$name.log" >&2; return 1; }
    python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$out"
  else
    local i t0 t1
    timeout "$cmd_limit" "$@" >"$tmp/$name.log" 2>&1 ||
      { log "$name failed:"; tail -n 20 "$tmp/$name.log" >&2; return 1; }
    : >"$out"
    for ((i = 0; i < runs; i++)); do
      t0=$(date +%s%N)
      timeout "$cmd_limit" "$@" >"$tmp/$name.log" 2>&1 ||
        { log "$name failed:"; tail -n 20 "$tmp/$name.log" >&2; return 1; }
      t1=$(date +%s%N)
      echo $(((t1 - t0) / 1000000)) >>"$out"
    done
    sort -n "$out" | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : int((v[NR/2]+v[NR/2+1])/2)}'
  fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }

# --- setup ---------------------------------------------------------------------
need_binary() {
  if [ ! -x "$bin" ]; then
    echo "no stagecraft binary at $bin: run scripts/frontend-image.sh (or set STAGECRAFT_BIN)" >&2
    exit 1
  fi
}

setup_engine() {
  local env_file
  env_file=$("$here/engine.sh" up main)
  # shellcheck disable=SC1090
  . "$env_file"
  if [ -z "${STAGECRAFT_BUILDX:-}" ]; then
    echo "the main lane has no buildx (STAGECRAFT_BUILDX is empty)" >&2
    exit 1
  fi
  if [ "$build" = 1 ] || ! "${STAGECRAFT_DOCKER:-docker}" image inspect "$image" >/dev/null 2>&1 || [ ! -x "$bin" ]; then
    [ "$image" = stagecraft:dev ] || { echo "image $image is missing" >&2; exit 1; }
    log "building $image with scripts/frontend-image.sh"
    "$here/frontend-image.sh" "$image" >/dev/null
  fi
  need_binary
}

generate() { # generate SHAPE N [GEN-SPEC OPTIONS]: prints the directory
  local shape=$1 n=$2; shift 2
  local dir="$tmp/$shape-$n${1:+-$(echo "$*" | tr -c 'a-z0-9\n' _)}"
  [ -f "$dir/stagecraft.yaml" ] || python3 "$gen" --syntax "$image" "$@" "$shape" "$n" "$dir"
  echo "$dir"
}

# --- side by side ------------------------------------------------------------------
side_by_side() {
  setup_engine
  setup_timer
  local buildx fan chain
  read -r -a buildx <<<"$STAGECRAFT_BUILDX"
  fan=$(generate fan 1000)
  chain=$(generate chain 400)
  # The example as the context, with line 1 naming the frontend image.
  local example="$tmp/multistage"
  cp -R "$repo/examples/multistage" "$example"
  sed -i "1s|^# syntax=.*|# syntax=$image|" "$example/stagecraft.yaml"
  # Warm the engine (image store, frontend image) before the first timing.
  "${buildx[@]}" build -q --call=check -f "$fan/stagecraft.yaml" "$fan" >/dev/null 2>&1 || true

  local rows=() sc df
  log "--call=check, 1000-stage fan"
  sc=$(median_ms check-fan-sc "${buildx[@]}" build -q --call=check -f "$fan/stagecraft.yaml" "$fan")
  df=$(median_ms check-fan-df "${buildx[@]}" build -q --call=check -f "$fan/Dockerfile" "$fan")
  rows+=("--call=check, 1000-stage fan|$sc|$df|$(ratio "$sc" "$df")|<= 1.0x")
  log "--call=check, 400-stage chain"
  sc=$(median_ms check-chain-sc "${buildx[@]}" build -q --call=check -f "$chain/stagecraft.yaml" "$chain")
  df=$(median_ms check-chain-df "${buildx[@]}" build -q --call=check -f "$chain/Dockerfile" "$chain")
  rows+=("--call=check, 400-stage chain|$sc|$df|$(ratio "$sc" "$df")|<= 0.1x")
  log "fully cached rebuild, examples/multistage"
  sc=$(median_ms rebuild-sc "${buildx[@]}" build -q --output type=cacheonly -f "$example/stagecraft.yaml" "$example")
  df=$(median_ms rebuild-df "${buildx[@]}" build -q --output type=cacheonly -f "$twin" "$example")
  rows+=("cached rebuild, examples/multistage|$sc|$df|$(ratio "$sc" "$df")|<= 1.3x")

  split_rebuild "$example" "$df"

  local offline=()
  log "offline stagecraft compile"
  for shape in fan chain; do
    local dir target
    dir=$(generate "$shape" 1000)
    target=$([ "$shape" = fan ] && echo 50 || echo 100)
    sc=$(median_ms "compile-$shape" "$bin" compile "$dir/stagecraft.yaml")
    offline+=("stagecraft compile, 1000-stage $shape|$sc|<= $target ms")
  done

  echo
  echo "Stagecraft vs the built-in Dockerfile frontend, $STAGECRAFT_ENGINE, buildx ${STAGECRAFT_BUILDX_VERSION:-?}"
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, median of $runs runs ($([ "$use_hyperfine" = 1 ] && echo hyperfine || echo date loop)),"
  echo "image $image $("${STAGECRAFT_DOCKER:-docker}" image inspect -f '{{.Id}}' "$image" | cut -c1-19), binary $(sha256sum "$bin" | cut -c1-12)"
  echo
  printf '| %-36s | %10s | %10s | %7s | %7s |\n' "side by side" "stagecraft" "dockerfile" "ratio" "target"
  printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..38})" "$(printf -- '-%.0s' {1..12})" \
    "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..9})" "$(printf -- '-%.0s' {1..9})"
  local r a b c d e
  for r in "${rows[@]}"; do
    IFS='|' read -r a b c d e <<<"$r"
    printf '| %-36s | %7s ms | %7s ms | %7s | %7s |\n' "$a" "$b" "$c" "$d" "$e"
  done
  echo
  cat "$tmp/split.md"
  echo
  printf '| %-36s | %10s | %9s |\n' "offline" "time" "target"
  printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..38})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..11})"
  for r in "${offline[@]}"; do
    IFS='|' read -r a b c <<<"$r"
    printf '| %-36s | %7s ms | %9s |\n' "$a" "$b" "$c"
  done
}

# split_rebuild EXAMPLE DOCKERFILE_MS: where the cached rebuild's time goes.
# Runs it $runs times, stamping the wall clock around each run, and reads the
# `stagecraft timings:` line (frontend/src/timings.rs) each session writes to
# the daemon log: "before" is buildx start to the frontend's start (buildx,
# the session, the `# syntax` detour, the frontend container's start), then
# Stagecraft's own phases, and "after" is its Return to buildx's exit.
# Writes a markdown table to $tmp/split.md.
split_rebuild() {
  local example=$1 df=$2 i t0 t1 line
  : >"$tmp/split.txt"
  if [ ! -r "${STAGECRAFT_ENGINE_LOG:-}" ]; then
    echo "(no readable daemon log: STAGECRAFT_ENGINE_LOG is unset; no split)" >"$tmp/split.md"
    return
  fi
  log "split of the cached rebuild (daemon log $STAGECRAFT_ENGINE_LOG)"
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%6N)
    timeout "$cmd_limit" "${buildx[@]}" build -q --output type=cacheonly -f "$example/stagecraft.yaml" "$example" >/dev/null 2>&1
    t1=$(date +%s%6N)
    sleep 0.2 # the daemon log is written asynchronously
    line=$(grep -o 'stagecraft timings: .*' "$STAGECRAFT_ENGINE_LOG" | tail -n 1 | sed 's/\\n.*//; s/["].*//')
    echo "$t0 $t1 $line" >>"$tmp/split.txt"
  done
  python3 - "$tmp/split.txt" "$df" >"$tmp/split.md" <<'PY'
import statistics, sys
rows = []
for raw in open(sys.argv[1]):
    f = raw.split()
    t0, t1 = int(f[0]), int(f[1])
    marks = dict(x.split("=", 1) for x in f[4:] if "=" in x)
    if "start" not in marks or "build" not in marks:
        continue
    start = int(marks.pop("start"))
    prev, row = 0, {"before the frontend starts": start - t0}
    for name in ("ping", "read", "parse", "resolve", "compile", "solve", "build"):
        if name in marks:
            at = int(marks[name])
            row[f"stagecraft: {name}"] = at - prev
            prev = at
    row["stagecraft: whole session"] = prev
    row["after Return (export, buildx exit)"] = t1 - (start + prev)
    row["total"] = t1 - t0
    rows.append(row)
if not rows:
    print("(no `stagecraft timings:` lines in the daemon log; no split)")
    sys.exit()
print(f"Where the cached rebuild's time goes (median of {len(rows)} runs; the Dockerfile twin took {sys.argv[2]} ms in all):")
print()
print("| part | ms |")
print("|---|---:|")
for key in rows[0]:
    vals = [r[key] for r in rows if key in r]
    print(f"| {key} | {statistics.median(vals) / 1000:.0f} |")
PY
}

# --- offline scaling ------------------------------------------------------------------
# One measurement: prints "WALL_S CPU_S RSS_MIB STATUS" (STATUS: ok, exit N,
# signal N, timeout). CPU is user + system time of the process (bash's `time`,
# millisecond resolution); the peak RSS comes from /usr/bin/time.
measure() { # measure FILE SUBCOMMAND [LIMIT_S]
  local file=$1 sub=$2 limit=${3:-$scaling_limit} out="$tmp/measure" times="$tmp/times" rc=0
  local TIMEFORMAT='%3R %3U %3S'
  { time timeout -s KILL "$limit" /usr/bin/time -f '%M %x' -o "$out" \
      "$bin" "$sub" "$file" >/dev/null 2>"$tmp/measure.err"; } 2>"$times" || rc=$?
  if [ "$rc" = 137 ] && ! tail -n 1 "$out" 2>/dev/null | grep -Eq '^[0-9]+ '; then
    echo "- - - timeout(${limit}s)"
    return
  fi
  # /usr/bin/time prints "Command terminated by signal N" before its format line.
  local sig
  sig=$(sed -n 's/^Command terminated by signal \([0-9]*\).*/\1/p' "$out")
  paste -d' ' <(tail -n 1 "$times") <(tail -n 1 "$out") | awk -v sig="$sig" '{
    status = (sig != "") ? "signal " sig : ($5 == 0) ? "ok" : "exit " $5
    printf "%.3f %.3f %.1f %s\n", $1, $2 + $3, $4 / 1024, status }'
}

scaling() {
  need_binary
  need_time
  echo
  echo "Offline scaling: $bin ($(sha256sum "$bin" | cut -c1-12)), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "cpu = user + system seconds (median of 3 runs below 1 s), rss = peak MiB (/usr/bin/time);"
  echo "x2 = growth of cpu / rss against the previous (half) size; a series stops after a size over ${scaling_limit} s"
  echo
  printf '| %-8s | %-7s | %5s | %8s | %8s | %8s | %6s | %6s | %s\n' shape command N wall_s cpu_s rss_MiB 'x2 cpu' 'x2 rss' status
  printf '|%s|\n' "$(printf -- '-%.0s' {1..90})"
  local shape sub n
  for shape in chain fan monorepo; do
    for sub in check compile; do
      local prev_cpu="" prev_rss=""
      for n in 250 500 1000 2000 4000 8000 16000; do
        [ "$n" -le "$max_n" ] || break
        local dir wall cpu rss status
        dir=$(generate "$shape" "$n")
        read -r wall cpu rss status <<<"$(measure "$dir/stagecraft.yaml" "$sub")"
        if [ "$status" = ok ] && awk -v c="$cpu" 'BEGIN { exit !(c < 1) }'; then
          # Short runs: take the median of three (by cpu time).
          local samples=("$wall $cpu $rss") i
          for i in 1 2; do
            samples+=("$(measure "$dir/stagecraft.yaml" "$sub" | cut -d' ' -f1-3)")
          done
          read -r wall cpu rss <<<"$(printf '%s\n' "${samples[@]}" | sort -k2 -n | sed -n 2p)"
        fi
        local g_cpu="-" g_rss="-"
        if [ "$status" = ok ] && [ -n "$prev_cpu" ]; then
          g_cpu=$(awk -v a="$cpu" -v b="$prev_cpu" 'BEGIN { printf (b > 0.0005 ? "%.1f" : "-"), a / b }')
          g_rss=$(awk -v a="$rss" -v b="$prev_rss" 'BEGIN { printf "%.1f", a / b }')
        fi
        printf '| %-8s | %-7s | %5s | %8s | %8s | %8s | %6s | %6s | %s\n' \
          "$shape" "$sub" "$n" "$wall" "$cpu" "$rss" "$g_cpu" "$g_rss" "$status"
        if [ "$status" != ok ]; then
          case $status in timeout*) break ;; esac
          prev_cpu=""; continue
        fi
        prev_cpu=$cpu; prev_rss=$rss
        awk -v w="$wall" -v l="$scaling_limit" 'BEGIN { exit !(w > l) }' && break
      done
    done
  done
}

need_time() {
  [ -x /usr/bin/time ] || apt_install time || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
}

stress() {
  need_binary
  need_time
  local limit=60
  echo
  echo "Stress inputs: $bin ($(sha256sum "$bin" | cut -c1-12)), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ), ${limit} s limit"
  echo
  printf '| %-36s | %7s | %-7s | %8s | %8s | %8s | %s\n' input size command wall_s cpu_s rss_MiB status
  printf '|%s|\n' "$(printf -- '-%.0s' {1..94})"
  local spec label dir sub wall cpu rss status words
  for spec in "env 20000|20,000 env entries in one stage" \
    "long-names 80000|two 80,000-char names, misspelt from" \
    "unknown-keys 45000|45,000 unknown keys in one stage" \
    "fan 1000 --args 1000|1000-stage fan, 1000 top-level args"; do
    label=${spec#*|}
    read -r -a words <<<"${spec%%|*}"
    dir=$(generate "${words[@]}")
    for sub in check compile; do
      read -r wall cpu rss status <<<"$(measure "$dir/stagecraft.yaml" "$sub" "$limit")"
      printf '| %-36s | %6sK | %-7s | %8s | %8s | %8s | %s\n' "$label" \
        "$(( $(wc -c <"$dir/stagecraft.yaml") / 1024 ))" "$sub" "$wall" "$cpu" "$rss" "$status"
    done
  done
  echo "(status exit 1: the input has errors, as intended; the time includes printing them)"
}

# --- the self-hosted image --------------------------------------------------------------
# Builds the root stagecraft.yaml for both platforms (crates vendored on the
# host, the build root toolchains/rust-cross:sid when the engine has it),
# pushes it to the lane's registry, and prints per platform the binary's and
# the compressed image's size, then times the cached rebuild of
# examples/multistage with the image for the engine's platform. The linux/arm64
# image answers only under emulation: its rebuild is timed when the host has
# a binfmt handler for aarch64, and the table says so when it has none.
self_hosted() {
  setup_engine
  setup_timer
  local buildx
  read -r -a buildx <<<"$STAGECRAFT_BUILDX"
  local debian=debian:sid
  "${STAGECRAFT_DOCKER:-docker}" image inspect toolchains/rust-cross:sid >/dev/null 2>&1 &&
    debian=toolchains/rust-cross:sid
  log "cargo vendor (the crates, for a build without network)"
  (cd "$repo" && cargo vendor --locked -q "$tmp/crates" >/dev/null)
  local ref short
  short=$(git -C "$repo" rev-parse --short HEAD)
  ref="${STAGECRAFT_REGISTRY:-127.0.0.1:5000}/stagecraft-bench/self-hosted:$short"
  log "building $ref for linux/amd64 and linux/arm64 (FROM $debian)"
  local platforms=linux/amd64,linux/arm64
  local common=(-f "$repo/stagecraft.yaml" --platform "$platforms"
    --build-arg "BUILDKIT_SYNTAX=$image" --build-arg "DEBIAN=$debian"
    --build-arg CRATES=crates --build-context "crates=$tmp/crates"
    --build-arg "REVISION=$(git -C "$repo" rev-parse HEAD)"
    --build-arg "SOURCE_DATE_EPOCH=$(git -C "$repo" log -1 --format=%ct)")
  timeout 3600 "${buildx[@]}" build -q "${common[@]}" --metadata-file "$tmp/meta.json" --provenance=false \
    --output "type=image,name=$ref,push=true" "$repo" >"$tmp/image.log" 2>&1 ||
    { log "the image build failed:"; tail -n 30 "$tmp/image.log" >&2; return 1; }
  timeout 600 "${buildx[@]}" build -q "${common[@]}" -o "type=local,dest=$tmp/bin" "$repo" >>"$tmp/image.log" 2>&1 ||
    { log "the binary export failed:"; tail -n 30 "$tmp/image.log" >&2; return 1; }
  local digest
  digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["containerimage.digest"])' "$tmp/meta.json")
  "${buildx[@]}" imagetools inspect --raw "$ref@$digest" >"$tmp/index.json"

  local example="$tmp/multistage"
  cp -R "$repo/examples/multistage" "$example"
  local rows=() platform manifest arch bytes layers sc dev df
  log "cached rebuild of examples/multistage: the Dockerfile frontend, $image"
  df=$(median_ms image-rebuild-df "${buildx[@]}" build -q --output type=cacheonly -f "$twin" "$example")
  sed -i "1s|^# syntax=.*|# syntax=$image|" "$example/stagecraft.yaml"
  dev=$(median_ms image-rebuild-dev "${buildx[@]}" build -q --output type=cacheonly -f "$example/stagecraft.yaml" "$example")
  for platform in linux/amd64 linux/arm64; do
    arch=${platform#linux/}
    manifest=$(python3 -c 'import json,sys
for m in json.load(open(sys.argv[1]))["manifests"]:
    p = m.get("platform", {})
    if p.get("os") + "/" + p.get("architecture") == sys.argv[2]:
        print(m["digest"])' "$tmp/index.json" "$platform")
    "${buildx[@]}" imagetools inspect --raw "$ref@$manifest" >"$tmp/manifest-$arch.json"
    layers=$(python3 -c 'import json,sys; print(sum(l["size"] for l in json.load(open(sys.argv[1]))["layers"]))' "$tmp/manifest-$arch.json")
    bytes=$(stat -c %s "$tmp/bin/linux_$arch/stagecraft")
    if [ "$platform" = "linux/$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')" ] ||
      [ -e "/proc/sys/fs/binfmt_misc/qemu-${arch/arm64/aarch64}" ]; then
      sed -i "1s|^# syntax=.*|# syntax=$ref@$manifest|" "$example/stagecraft.yaml"
      log "cached rebuild of examples/multistage: the $platform image"
      sc=$(median_ms "image-rebuild-$arch" "${buildx[@]}" build -q --output type=cacheonly -f "$example/stagecraft.yaml" "$example")
      rows+=("$platform|$bytes|$layers|$sc ms|$(ratio "$sc" "$df")|$(ratio "$sc" "$dev")")
    else
      rows+=("$platform|$bytes|$layers|not run: no binfmt handler for ${arch/arm64/aarch64}|-|-")
    fi
  done

  echo
  echo "The self-hosted frontend image, $STAGECRAFT_ENGINE, buildx ${STAGECRAFT_BUILDX_VERSION:-?}"
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $ref@$digest"
  echo "cached rebuild of examples/multistage, median of $runs runs: the Dockerfile frontend $df ms,"
  echo "$image (host-built binary) $dev ms"
  echo
  printf '| %-11s | %12s | %12s | %-22s | %9s | %9s |\n' platform "binary" "image (gzip)" "cached rebuild" "vs df" "vs dev"
  printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..13})" "$(printf -- '-%.0s' {1..14})" \
    "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..24})" "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..11})"
  local r a b c d e f
  for r in "${rows[@]}"; do
    IFS='|' read -r a b c d e f <<<"$r"
    printf '| %-11s | %10s B | %10s B | %-22s | %9s | %9s |\n' "$a" "$b" "$c" "$d" "$e" "$f"
  done
  echo "(goal: at most 4 MB = 4194304 B per platform)"
}

case $mode in
  side) side_by_side ;;
  scaling) scaling ;;
  stress) stress ;;
  self_hosted) self_hosted ;;
  all) side_by_side; scaling; stress; self_hosted ;;
esac
