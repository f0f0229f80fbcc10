#!/usr/bin/env bash
# scripts/engine.sh - provision a real Docker engine (with BuildKit/buildx)
# for Stagecraft's end-to-end tests.
#
# Usage:
#   scripts/engine.sh up    [LANE]       start (or reuse) an engine; prints the
#                                        env file path as the LAST line of
#                                        stdout (everything else: stderr)
#   scripts/engine.sh down  [LANE|all]   stop what this script started
#   scripts/engine.sh env   [LANE]       print the env file path if that lane
#                                        is up, else exit 1
#   scripts/engine.sh check [LANE]       smoke-test a lane that is up
#   LANE: main (default), legacy or docker26
#
# Then:  . "$(scripts/engine.sh up main)"
#        "$STAGECRAFT_BUILDX" build -f stagecraft.yaml .
#
# Lanes
#   main    A recent engine. If a Docker engine with buildx is already
#           reachable with the caller's settings (and STAGECRAFT_PRIVATE_ENGINE
#           is not 1) it is used as is. Otherwise a private dockerd is started
#           from Debian sid packages (falling back to trixie when sid's
#           binaries do not run here), downloaded with apt-get into
#           $STAGECRAFT_ENGINE_CACHE/<suite>/ without touching the system's apt
#           sources. It uses the containerd image store (containerd-snapshotter)
#           so multi-platform builds work with buildx's "docker" driver.
#   legacy  Debian bookworm's own docker.io (dockerd 20.10, embedded BuildKit
#           ~0.8); build with DOCKER_BUILDKIT=1 "$STAGECRAFT_DOCKER" build.
#           Always private.
#   docker26 Debian trixie's docker.io (dockerd 26.1.x) + docker-buildx 0.13.x
#           with the CLASSIC image store (no containerd-snapshotter), where the
#           engine announces the LLB cap `mergeop` as disabled. Always private;
#           same trixie download as main's fallback.
#
# All private lanes can run at the same time: each has its own bridge, subnet,
# data root, exec root, socket and pidfile. Both share one local registry
# (Debian's docker-registry) on 127.0.0.1:5000. Each private engine gets these
# images, imported from a busybox-static rootfs (nothing can be pulled here):
#   busybox:latest (= docker.io/library/busybox:latest), alpine:3.20,
# and the registry gets 127.0.0.1:5000/busybox:latest.
#
# Environment knobs (all optional):
#   STAGECRAFT_PRIVATE_ENGINE=1   never reuse an already reachable engine
#   STAGECRAFT_MAIN_SUITES        Debian suites to try for main ("sid trixie")
#   STAGECRAFT_MAIN_CONTAINERD    auto|suite|system: containerd for main
#                                 (auto = the suite's one if it runs here)
#   STAGECRAFT_DOCKER26_CONTAINERD  the same for the docker26 lane
#   STAGECRAFT_ENGINE_REFRESH=1   re-download the suite packages
#   STAGECRAFT_ENGINE_CACHE       where suite packages go (/opt/stagecraft-engine)
#   STAGECRAFT_ENGINE_DATA        data roots + registry storage
#                                 (/var/lib/stagecraft-engine)
#
# The private engines need root (dockerd, bridges, apt-get).

set -euo pipefail

# --- fd plumbing -----------------------------------------------------------
# Only the final env-file path may go to stdout, so keep the real stdout on
# fd 3 and send everything else (including chatty tools) to stderr.
exec 3>&1 1>&2

# --- constants ---------------------------------------------------------------
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
STATE_DIR="$REPO_ROOT/.engine"            # per checkout: env files, logs
ENGINE_CACHE=${STAGECRAFT_ENGINE_CACHE:-/opt/stagecraft-engine}
ENGINE_DATA=${STAGECRAFT_ENGINE_DATA:-/var/lib/stagecraft-engine}
MAIN_SUITES=${STAGECRAFT_MAIN_SUITES:-sid trixie}
MAIN_CONTAINERD=${STAGECRAFT_MAIN_CONTAINERD:-auto}
DOCKER26_CONTAINERD=${STAGECRAFT_DOCKER26_CONTAINERD:-auto}
DOCKER26_SUITE=trixie
ALL_LANES=(main legacy docker26)
REGISTRY_ADDR=127.0.0.1:5000
REGISTRY_RUN=/run/stagecraft-registry
GLOBAL_LOCK=/run/stagecraft-engine.lock   # machine-wide: engines are global
READY_TIMEOUT=60
HOST_PACKAGES=(docker.io docker-registry busybox-static iproute2 curl)
# Packages taken from the newer suite for the main lane. runc is NOT taken:
# sid's runc needs glibc >= 2.38; bookworm's runc works with these engines.
SUITE_PACKAGES=(docker.io docker-cli docker-buildx containerd)
ROOTFS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf '[engine] %s\n' "$*" >&2; }
die() { printf '[engine] ERROR: %s\n' "$*" >&2; exit 1; }

# Per-lane settings. Bridges/subnets differ so all lanes can run at once;
# the address pools for user-defined networks differ for the same reason.
lane_vars() {
  LANE=$1
  case $LANE in
    main)
      BRIDGE=sc-main0
      BRIDGE_CIDR=172.31.240.1/24
      ADDR_POOL=172.30.0.0/17
      ;;
    legacy)
      BRIDGE=sc-legacy0
      BRIDGE_CIDR=172.31.241.1/24
      ADDR_POOL=172.30.128.0/17
      ;;
    docker26)
      BRIDGE=sc-docker26-0
      BRIDGE_CIDR=172.31.242.1/24
      ADDR_POOL=172.29.0.0/17
      ;;
    *) die "unknown lane '$LANE' (expected main, legacy or docker26)" ;;
  esac
  RUN_DIR=/run/stagecraft-$LANE            # socket, pidfile, exec root
  SOCK=$RUN_DIR/docker.sock
  PIDFILE=$RUN_DIR/docker.pid
  EXEC_ROOT=$RUN_DIR/exec
  INSTANCE_ENV=$RUN_DIR/instance.env       # facts about the running engine
  ENV_FILE=$STATE_DIR/$LANE.env
  LOG_FILE=$STATE_DIR/$LANE-dockerd.log
  CLI_CONFIG=$STATE_DIR/$LANE-docker-config
}

# Run a command against a given socket with a clean docker environment.
# usage: dk <docker-binary> <socket> <docker-config-dir> args...
dk() {
  local bin=$1 sock=$2 cfg=$3
  shift 3
  env -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH \
    DOCKER_HOST="unix://$sock" DOCKER_CONFIG="$cfg" "$bin" "$@"
}

# True if $1 is a live process whose command line contains $2.
pid_matches() {
  local pid=$1 needle=$2
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$needle"
}

read_pid() {
  if [[ -s $1 ]]; then tr -dc '0-9' <"$1"; fi
}

need_root() {
  [[ $EUID -eq 0 ]] || die "a private engine needs root (dockerd, bridges, apt-get); re-run with sudo"
}

# --- host packages -----------------------------------------------------------
ensure_host_packages() {
  local missing=() p
  for p in "${HOST_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get"
  log "installing host packages: ${missing[*]}"
  apt-get update -q
  # policy-rc.d on these machines stops the system docker.service from starting;
  # we never use the system service anyway.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

# --- newer engine from a Debian suite (main lane) ----------------------------

# Print "URI KEYRING" of the system's Debian mirror (never modified, only read).
debian_mirror() {
  local uri="" key=""
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    # deb822: take the first stanza whose URIs look like the main archive.
    read -r uri key < <(awk '
      BEGIN { RS=""; FS="\n" }
      {
        u=""; k=""
        for (i=1; i<=NF; i++) {
          if ($i ~ /^URIs:/)      { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); u=a[1] }
          if ($i ~ /^Signed-By:/) { sub(/^Signed-By:[ \t]*/, "", $i); k=$i }
        }
        if (u != "" && u !~ /security/) { print u, (k ~ /^\// ? k : "-"); exit }
      }' /etc/apt/sources.list.d/debian.sources) || true
  fi
  if [[ -z $uri && -r /etc/apt/sources.list ]]; then
    uri=$(awk '$1=="deb" && $0 !~ /security/ { for (i=2;i<=NF;i++) if ($i ~ /^https?:/) { print $i; exit } }' \
      /etc/apt/sources.list) || true
  fi
  [[ -n $uri ]] || uri=http://deb.debian.org/debian
  [[ -n $key && $key != - ]] || key=/usr/share/keyrings/debian-archive-keyring.gpg
  printf '%s %s\n' "$uri" "$key"
}

# Download + unpack the suite's engine packages into $ENGINE_CACHE/<suite>/root
# (cached: a complete unpack is marked with .complete and reused).
fetch_suite() {
  local suite=$1 dest=$ENGINE_CACHE/$1
  if [[ -f $dest/.complete && ${STAGECRAFT_ENGINE_REFRESH:-0} != 1 ]]; then
    return 0
  fi
  local uri key work
  read -r uri key < <(debian_mirror)
  work=$ENGINE_CACHE/.work-$suite
  rm -rf "$work"
  mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/debs" "$work/preferences.d"
  printf 'deb [signed-by=%s] %s %s main\n' "$key" "$uri" "$suite" >"$work/sources.list"
  # A private apt universe: own sources list, own lists dir, no package cache
  # files, no pinning -> the system's apt state is left alone.
  local apt_opts=(
    -o "Dir::Etc::sourcelist=$work/sources.list"
    -o Dir::Etc::sourceparts=-
    -o Dir::Etc::preferences=/dev/null
    -o "Dir::Etc::preferencesparts=$work/preferences.d"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache::archives=$work/archives"
    -o Dir::Cache::pkgcache=
    -o Dir::Cache::srcpkgcache=
    -o APT::Sandbox::User=root
    -o Acquire::Languages=none
    -q
  )
  log "fetching engine packages from Debian $suite ($uri)"
  apt-get "${apt_opts[@]}" update || {
    log "apt-get update for $suite failed"
    rm -rf "$work"
    return 1
  }
  local p
  for p in "${SUITE_PACKAGES[@]}"; do
    # docker-cli is a separate package only in newer suites: tolerate absence.
    (cd "$work/debs" && apt-get "${apt_opts[@]}" download "$p") || {
      [[ $p == docker-cli ]] && continue
      log "apt-get download $p ($suite) failed"
      rm -rf "$work"
      return 1
    }
  done
  # (called from an `if`, so errexit is off here: check each step)
  rm -rf "$dest" && mkdir -p "$dest/root" || return 1
  local deb
  : >"$dest/versions"
  for deb in "$work"/debs/*.deb; do
    dpkg-deb -x "$deb" "$dest/root" || return 1
    # shellcheck disable=SC2016 # dpkg's own ${...} format, not shell
    dpkg-deb -W --showformat='${Package} ${Version}\n' "$deb" >>"$dest/versions" || return 1
  done
  rm -rf "$work"
  touch "$dest/.complete" || return 1
  log "unpacked $(paste -sd, "$dest/versions") into $dest"
}

# Do the suite's binaries run on this host? (e.g. glibc too old -> no)
probe_suite() {
  local r=$ENGINE_CACHE/$1/root
  "$r/usr/sbin/dockerd" --version >/dev/null 2>&1 &&
    "$r/usr/libexec/docker/cli-plugins/docker-buildx" version >/dev/null 2>&1 &&
    "$r/usr/bin/docker" --version >/dev/null 2>&1
}

# Build $ENGINE_CACHE/<suite>/<bindir>: the PATH dockerd runs with. It decides
# which containerd/runc/docker-init/docker-proxy dockerd picks up.
# usage: make_suite_bin <suite> [<bindir> [<containerd mode>]]
# (main uses "bin"; docker26 has its own so that neither lane rebuilds the
# other's PATH while that lane's engine is running from it.)
make_suite_bin() {
  local suite=$1 r=$ENGINE_CACHE/$1/root b=$ENGINE_CACHE/$1/${2:-bin} use_suite_ctd=0
  local mode=${3:-$MAIN_CONTAINERD}
  case $mode in
    suite) use_suite_ctd=1 ;;
    system) use_suite_ctd=0 ;;
    auto) "$r/usr/bin/containerd" --version >/dev/null 2>&1 && use_suite_ctd=1 ;;
    *) die "STAGECRAFT_MAIN_CONTAINERD / STAGECRAFT_DOCKER26_CONTAINERD must be auto, suite or system" ;;
  esac
  rm -rf "$b"
  mkdir -p "$b"
  ln -s "$r/usr/sbin/dockerd" "$b/dockerd"
  ln -s "$r/usr/sbin/docker-proxy" "$b/docker-proxy"
  ln -s "$r/usr/bin/docker" "$b/docker"
  if ((use_suite_ctd)); then
    ln -s "$r/usr/bin/containerd" "$b/containerd"
    ln -s "$r/usr/bin/containerd-shim-runc-v2" "$b/containerd-shim-runc-v2"
    ln -s "$r/usr/bin/ctr" "$b/ctr"
  else
    ln -s /usr/bin/containerd "$b/containerd"
    ln -s /usr/bin/containerd-shim-runc-v2 "$b/containerd-shim-runc-v2"
    ln -s /usr/bin/ctr "$b/ctr"
  fi
  ln -s /usr/sbin/runc "$b/runc"                # bookworm's runc (see above)
  ln -s /usr/bin/docker-init "$b/docker-init"   # bookworm's tini
}

# --- bridge ------------------------------------------------------------------
ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    # Refuse to shadow a subnet the host already routes elsewhere.
    local net=${BRIDGE_CIDR%.*}.0/24
    if ip -4 route show "$net" | grep -q .; then
      die "subnet $net already routed on this host; cannot create bridge $BRIDGE"
    fi
    log "creating bridge $BRIDGE ($BRIDGE_CIDR)"
    ip link add "$BRIDGE" type bridge || die "ip link add $BRIDGE failed"
  fi
  if ! ip -4 addr show dev "$BRIDGE" | grep -qF "inet $BRIDGE_CIDR "; then
    ip addr flush dev "$BRIDGE" || die "ip addr flush $BRIDGE failed"
    ip addr add "$BRIDGE_CIDR" dev "$BRIDGE" || die "ip addr add $BRIDGE_CIDR failed"
  fi
  ip link set "$BRIDGE" up || die "ip link set $BRIDGE up failed"
}

remove_bridge() {
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    log "removing bridge $BRIDGE"
    ip link del "$BRIDGE" || true
  fi
}

# --- dockerd lifecycle ---------------------------------------------------------
dockerd_pid() {
  local pid
  pid=$(read_pid "$PIDFILE")
  # Our dockerd is recognisable by its exec root on the command line.
  if [[ -n $pid ]] && pid_matches "$pid" "$EXEC_ROOT"; then echo "$pid"; fi
}

# Is the lane's engine answering? (uses the docker client recorded for it)
engine_answers() {
  [[ -S $SOCK && -r $INSTANCE_ENV ]] || return 1
  local docker
  docker=$(sed -n 's/^export STAGECRAFT_DOCKER=//p' "$INSTANCE_ENV")
  docker=$(eval "printf %s $docker")
  [[ -x $docker ]] || return 1
  timeout 10 env -u DOCKER_CONTEXT DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG="$CLI_CONFIG" \
    "$docker" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# start_dockerd <dockerd> <PATH for dockerd> <docker client> <config json>
start_dockerd() {
  local dockerd=$1 path=$2 docker=$3 config_json=$4
  mkdir -p "$RUN_DIR" "$EXEC_ROOT" "$DATA_ROOT" "$STATE_DIR"
  printf '%s\n' "$config_json" >"$RUN_DIR/daemon.json"
  ensure_bridge
  log "starting dockerd ($LANE) -> log $LOG_FILE"
  printf '\n===== %s: engine.sh starting %s\n' "$(date -u +%FT%TZ)" "$dockerd" >>"$LOG_FILE"
  # setsid: detach from our session so the daemon outlives this script.
  # 3>&- 9>&-: don't leak our stdout (callers use $(...)) or the lock fd.
  env -i PATH="$path" HOME=/root LANG=C.UTF-8 \
    setsid "$dockerd" \
    --config-file "$RUN_DIR/daemon.json" \
    --host "unix://$SOCK" \
    --pidfile "$PIDFILE" \
    --data-root "$DATA_ROOT" \
    --exec-root "$EXEC_ROOT" \
    --bridge "$BRIDGE" \
    --iptables=false \
    --ip-forward=false \
    "${EXTRA_DOCKERD_FLAGS[@]}" \
    </dev/null >>"$LOG_FILE" 2>&1 3>&- 9>&- &
  local launcher=$! i
  for ((i = 0; i < READY_TIMEOUT * 2; i++)); do
    if timeout 5 env -u DOCKER_CONTEXT DOCKER_HOST="unix://$SOCK" DOCKER_CONFIG="$CLI_CONFIG" \
      "$docker" version --format '{{.Server.Version}}' >/dev/null 2>&1; then
      log "dockerd ($LANE) ready after ~$((i / 2))s (pid $(dockerd_pid))"
      return 0
    fi
    if ! kill -0 "$launcher" 2>/dev/null && [[ -z $(dockerd_pid) ]]; then
      log "dockerd ($LANE) exited; last log lines:"
      tail -n 25 "$LOG_FILE" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  log "dockerd ($LANE) not ready after ${READY_TIMEOUT}s; last log lines:"
  tail -n 25 "$LOG_FILE" >&2 || true
  stop_dockerd
  return 1
}

# Stop the lane's dockerd (and the containerd it manages), by pidfile.
stop_dockerd() {
  local pid i ctd_pid
  pid=$(dockerd_pid)
  if [[ -n $pid ]]; then
    log "stopping dockerd ($LANE, pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "dockerd ($LANE) did not stop in 30s; killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # dockerd normally stops its containerd; make sure (pidfile under exec root).
  ctd_pid=$(read_pid "$EXEC_ROOT/containerd/containerd.pid")
  if [[ -n $ctd_pid ]] && pid_matches "$ctd_pid" "$EXEC_ROOT"; then
    log "stopping leftover containerd ($LANE, pid $ctd_pid)"
    kill -TERM "$ctd_pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      kill -0 "$ctd_pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$ctd_pid" 2>/dev/null || true
  fi
  # After a crashed dockerd its containerd may linger as a zombie (pid 1 here
  # reaps lazily); a new dockerd would wait ~10s for that pid to go away.
  if [[ -n $ctd_pid && -r /proc/$ctd_pid/stat ]] &&
    [[ $(awk '{print $3}' "/proc/$ctd_pid/stat" 2>/dev/null) == Z ]]; then
    rm -f "$EXEC_ROOT/containerd/containerd.pid"
  fi
  # Unmount anything left below our roots (deepest first).
  local m
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(awk -v a="$EXEC_ROOT" -v b="$ENGINE_DATA/$LANE" \
    'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/mounts | sort -r)
  rm -f "$PIDFILE" "$SOCK" "$INSTANCE_ENV"
}

# --- busybox images ------------------------------------------------------------

# A busybox-static rootfs tarball, built once per busybox version.
busybox_rootfs_tar() {
  local ver tar tmp a
  ver=$(dpkg-query -W -f '${Version}' busybox-static | tr -c 'A-Za-z0-9.+-' _)
  tar=$ENGINE_CACHE/rootfs/busybox-static-$ver.tar
  if [[ ! -s $tar ]]; then
    tmp=$(mktemp -d)
    mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home,var}
    cp /bin/busybox "$tmp/bin/busybox"
    # Every applet as /bin/<applet> (like the official image) ...
    for a in $(/bin/busybox --list); do
      [[ $a == busybox ]] || ln -sf busybox "$tmp/bin/$a"
    done
    # ... plus the usual full paths (/usr/bin/env etc.) where not taken.
    while read -r a; do
      [[ -e $tmp/$a || -L $tmp/$a ]] || ln -s /bin/busybox "$tmp/$a"
    done < <(/bin/busybox --list-full)
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$tmp/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\n' >"$tmp/etc/group"
    chmod 1777 "$tmp/tmp"
    chmod 700 "$tmp/root"
    mkdir -p "$(dirname "$tar")"
    tar -C "$tmp" --numeric-owner --owner=0 --group=0 --sort=name \
      --mtime=2000-01-01 -cf "$tar.tmp" .
    mv "$tar.tmp" "$tar"
    rm -rf "$tmp"
  fi
  echo "$tar"
}

# Import the rootfs as busybox:latest (same ref as docker.io/library/busybox)
# and alpine:3.20 unless both are present already.
ensure_images() {
  local docker=$1 tag tar
  if dk "$docker" "$SOCK" "$CLI_CONFIG" image inspect busybox:latest >/dev/null 2>&1 &&
    dk "$docker" "$SOCK" "$CLI_CONFIG" image inspect alpine:3.20 >/dev/null 2>&1; then
    return 0
  fi
  tar=$(busybox_rootfs_tar)
  log "importing busybox rootfs as busybox:latest, alpine:3.20 ($LANE)"
  dk "$docker" "$SOCK" "$CLI_CONFIG" import \
    --change "ENV PATH=$ROOTFS_PATH" --change 'CMD ["sh"]' \
    "$tar" docker.io/library/busybox:latest >/dev/null
  for tag in busybox:latest alpine:3.20; do
    dk "$docker" "$SOCK" "$CLI_CONFIG" tag docker.io/library/busybox:latest "$tag"
  done
}

# --- local registry (shared by all lanes) ---------------------------------------
registry_answers() {
  curl -fsS -m 5 -o /dev/null "http://$REGISTRY_ADDR/v2/" 2>/dev/null
}

ensure_registry() {
  registry_answers && return 0
  command -v docker-registry >/dev/null || die "docker-registry not installed"
  local store=$ENGINE_DATA/registry cfg=$REGISTRY_RUN/config.yml pid i
  mkdir -p "$REGISTRY_RUN" "$store" "$STATE_DIR"
  cat >"$cfg" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $store
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
EOF
  log "starting docker-registry on $REGISTRY_ADDR (storage $store)"
  setsid docker-registry serve "$cfg" </dev/null >>"$STATE_DIR/registry.log" 2>&1 3>&- 9>&- &
  pid=$!
  echo "$pid" >"$REGISTRY_RUN/registry.pid"
  for ((i = 0; i < 40; i++)); do
    registry_answers && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  tail -n 20 "$STATE_DIR/registry.log" >&2 || true
  die "docker-registry did not come up on $REGISTRY_ADDR"
}

stop_registry() {
  local pid
  pid=$(read_pid "$REGISTRY_RUN/registry.pid")
  if [[ -n $pid ]] && pid_matches "$pid" "$REGISTRY_RUN/config.yml"; then
    log "stopping docker-registry (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 20; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
  fi
  rm -f "$REGISTRY_RUN/registry.pid"
}

# Make sure 127.0.0.1:5000/busybox:latest exists (pushed from this lane).
ensure_registry_busybox() {
  local docker=$1
  if curl -fsS -m 5 -o /dev/null -I \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.oci.image.index.v1+json' \
    "http://$REGISTRY_ADDR/v2/busybox/manifests/latest" 2>/dev/null; then
    return 0
  fi
  log "pushing busybox to $REGISTRY_ADDR/busybox:latest ($LANE)"
  dk "$docker" "$SOCK" "$CLI_CONFIG" tag busybox:latest "$REGISTRY_ADDR/busybox:latest"
  dk "$docker" "$SOCK" "$CLI_CONFIG" push "$REGISTRY_ADDR/busybox:latest" >/dev/null
}

# --- env files ---------------------------------------------------------------------
# write_instance_env KEY=VALUE... : facts about the running engine, kept in the
# lane's run dir so a second checkout (e.g. CI's clone) can reuse the engine.
write_instance_env() {
  local kv
  {
    echo "# written by scripts/engine.sh; describes the running $LANE engine"
    for kv in "$@"; do
      printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
    done
  } >"$INSTANCE_ENV.tmp"
  mv "$INSTANCE_ENV.tmp" "$INSTANCE_ENV"
}

# Prepare the per-checkout docker CLI config (buildx as a CLI plugin) and write
# .engine/<lane>.env from the instance facts.
write_lane_env() {
  local buildx
  mkdir -p "$CLI_CONFIG/cli-plugins" "$STATE_DIR"
  buildx=$(sed -n 's/^export STAGECRAFT_BUILDX=//p' "$INSTANCE_ENV")
  buildx=$(eval "printf %s $buildx")
  if [[ -n $buildx ]]; then
    ln -sfn "$buildx" "$CLI_CONFIG/cli-plugins/docker-buildx"
  else
    rm -f "$CLI_CONFIG/cli-plugins/docker-buildx"
  fi
  [[ -f $CLI_CONFIG/config.json ]] || echo '{}' >"$CLI_CONFIG/config.json"
  {
    echo "# Stagecraft $LANE engine; generated by scripts/engine.sh up $LANE. Source me."
    grep '^export ' "$INSTANCE_ENV"
    printf 'export DOCKER_CONFIG=%q\n' "$CLI_CONFIG"
    printf 'export STAGECRAFT_REGISTRY=%q\n' "$REGISTRY_ADDR"
  } >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
}

# --- up ----------------------------------------------------------------------------

# An engine the caller already has (real users): `docker info` and
# `docker buildx version` work with their settings.
external_engine_usable() {
  [[ ${STAGECRAFT_PRIVATE_ENGINE:-0} == 1 ]] && return 1
  case ${DOCKER_HOST:-} in
    unix:///run/stagecraft-*) return 1 ;; # that is one of ours: manage it
  esac
  command -v docker >/dev/null || return 1
  timeout 15 docker info >/dev/null 2>&1 || return 1
  timeout 15 docker buildx version >/dev/null 2>&1 || return 1
}

up_external() {
  local docker host version buildx
  docker=$(command -v docker)
  host=${DOCKER_HOST:-$(docker context inspect --format '{{.Endpoints.docker.Host}}' 2>/dev/null || true)}
  version=$(docker version --format '{{.Server.Version}}')
  # Prefer the buildx plugin binary itself (a single path is easy to exec).
  buildx=$(docker info --format '{{range .ClientInfo.Plugins}}{{if eq .Name "buildx"}}{{.Path}}{{end}}{{end}}' 2>/dev/null || true)
  [[ -n $buildx && -x $buildx ]] || buildx="$docker buildx"
  log "using the already reachable engine at ${host:-default} (dockerd $version)"
  local registry=$REGISTRY_ADDR
  if ! registry_answers; then
    if command -v docker-registry >/dev/null; then
      ensure_registry
    else
      log "no registry on $REGISTRY_ADDR and docker-registry not installed: STAGECRAFT_REGISTRY left empty"
      registry=""
    fi
  fi
  mkdir -p "$STATE_DIR"
  {
    echo "# Stagecraft main engine (external); generated by scripts/engine.sh up main. Source me."
    printf 'export DOCKER_HOST=%q\n' "$host"
    printf 'export STAGECRAFT_DOCKER=%q\n' "$docker"
    printf 'export STAGECRAFT_BUILDX=%q\n' "$buildx"
    printf 'export STAGECRAFT_ENGINE=%q\n' "main/external/$version"
    printf 'export STAGECRAFT_DOCKERD_VERSION=%q\n' "$version"
    printf 'export STAGECRAFT_LANE=main\n'
    printf 'export STAGECRAFT_LEGACY=0\n'
    printf 'export STAGECRAFT_EXTERNAL_ENGINE=1\n'
    printf 'export STAGECRAFT_REGISTRY=%q\n' "$registry"
  } >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
}

up_main() {
  DATA_ROOT=""
  if [[ -n $(dockerd_pid) ]] && engine_answers; then
    log "main engine already running (pid $(dockerd_pid)); reusing"
  else
    stop_dockerd # clear a half-dead instance, if any
    local suite ok=0 r dockerd_v buildx_v containerd_v
    for suite in $MAIN_SUITES; do
      if ! fetch_suite "$suite"; then
        log "could not fetch $suite; trying the next suite"
        continue
      fi
      if ! probe_suite "$suite"; then
        log "$suite's binaries do not run on this host; trying the next suite"
        continue
      fi
      make_suite_bin "$suite"
      r=$ENGINE_CACHE/$suite/root
      # Per-suite data root: never let an older dockerd open a newer one's data.
      DATA_ROOT=$ENGINE_DATA/main-$suite
      EXTRA_DOCKERD_FLAGS=(--ip6tables=false)
      if start_dockerd "$ENGINE_CACHE/$suite/bin/dockerd" \
        "$ENGINE_CACHE/$suite/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        "$r/usr/bin/docker" \
        "{\"features\": {\"containerd-snapshotter\": true}, \"shutdown-timeout\": 5, \"default-address-pools\": [{\"base\": \"$ADDR_POOL\", \"size\": 24}]}"; then
        ok=1
        break
      fi
      log "dockerd from $suite did not start; trying the next suite"
      stop_dockerd
    done
    ((ok)) || die "no main engine could be started (tried: $MAIN_SUITES)"
    dockerd_v=$(dk "$r/usr/bin/docker" "$SOCK" "$CLI_CONFIG" version --format '{{.Server.Version}}')
    containerd_v=$(dk "$r/usr/bin/docker" "$SOCK" "$CLI_CONFIG" version \
      --format '{{range .Server.Components}}{{if eq .Name "containerd"}}{{.Version}}{{end}}{{end}}')
    buildx_v=$("$r/usr/libexec/docker/cli-plugins/docker-buildx" version | awk '{print $2}')
    write_instance_env \
      "DOCKER_HOST=unix://$SOCK" \
      "STAGECRAFT_DOCKER=$r/usr/bin/docker" \
      "STAGECRAFT_BUILDX=$r/usr/libexec/docker/cli-plugins/docker-buildx" \
      "STAGECRAFT_ENGINE=main/$dockerd_v" \
      "STAGECRAFT_DOCKERD_VERSION=$dockerd_v" \
      "STAGECRAFT_BUILDX_VERSION=$buildx_v" \
      "STAGECRAFT_CONTAINERD_VERSION=$containerd_v" \
      "STAGECRAFT_ENGINE_SUITE=$suite" \
      "STAGECRAFT_ENGINE_LOG=$LOG_FILE" \
      "STAGECRAFT_LANE=main" \
      "STAGECRAFT_IMAGE_STORE=containerd" \
      "STAGECRAFT_LEGACY=0"
  fi
}

up_legacy() {
  if [[ -n $(dockerd_pid) ]] && engine_answers; then
    log "legacy engine already running (pid $(dockerd_pid)); reusing"
  else
    stop_dockerd
    DATA_ROOT=$ENGINE_DATA/legacy
    EXTRA_DOCKERD_FLAGS=()
    # bookworm's dockerd runs with bookworm's containerd/runc/tini from PATH.
    start_dockerd /usr/sbin/dockerd /usr/sbin:/usr/bin:/sbin:/bin /usr/bin/docker \
      "{\"shutdown-timeout\": 5, \"default-address-pools\": [{\"base\": \"$ADDR_POOL\", \"size\": 24}]}" ||
      die "legacy dockerd did not start"
    local v
    v=$(dk /usr/bin/docker "$SOCK" "$CLI_CONFIG" version --format '{{.Server.Version}}')
    write_instance_env \
      "DOCKER_HOST=unix://$SOCK" \
      "STAGECRAFT_DOCKER=/usr/bin/docker" \
      "STAGECRAFT_BUILDX=" \
      "STAGECRAFT_ENGINE=legacy/$v" \
      "STAGECRAFT_DOCKERD_VERSION=$v" \
      "STAGECRAFT_ENGINE_SUITE=bookworm" \
      "STAGECRAFT_ENGINE_LOG=$LOG_FILE" \
      "STAGECRAFT_LANE=legacy" \
      "STAGECRAFT_IMAGE_STORE=classic" \
      "STAGECRAFT_LEGACY=1" \
      "DOCKER_BUILDKIT=1"
  fi
}

# Docker 26 (trixie) with the classic image store: BuildKit's MergeOp is not
# available there, so frontends must fall back to plain copies.
up_docker26() {
  if [[ -n $(dockerd_pid) ]] && engine_answers; then
    log "docker26 engine already running (pid $(dockerd_pid)); reusing"
    return 0
  fi
  stop_dockerd
  local suite=$DOCKER26_SUITE r b dockerd_v buildx_v containerd_v
  fetch_suite "$suite" || die "could not fetch Debian $suite's engine packages"
  probe_suite "$suite" || die "$suite's dockerd/docker/buildx do not run on this host"
  make_suite_bin "$suite" bin-docker26 "$DOCKER26_CONTAINERD"
  r=$ENGINE_CACHE/$suite/root
  b=$ENGINE_CACHE/$suite/bin-docker26
  DATA_ROOT=$ENGINE_DATA/docker26
  EXTRA_DOCKERD_FLAGS=(--ip6tables=false)
  # No "features": {"containerd-snapshotter": ...}: the classic image store
  # (overlay2 graph driver) is the point of this lane.
  start_dockerd "$b/dockerd" "$b:/usr/sbin:/usr/bin:/sbin:/bin" "$r/usr/bin/docker" \
    "{\"shutdown-timeout\": 5, \"default-address-pools\": [{\"base\": \"$ADDR_POOL\", \"size\": 24}]}" ||
    die "docker26 dockerd (Debian $suite) did not start"
  dockerd_v=$(dk "$r/usr/bin/docker" "$SOCK" "$CLI_CONFIG" version --format '{{.Server.Version}}')
  containerd_v=$(dk "$r/usr/bin/docker" "$SOCK" "$CLI_CONFIG" version \
    --format '{{range .Server.Components}}{{if eq .Name "containerd"}}{{.Version}}{{end}}{{end}}')
  buildx_v=$("$r/usr/libexec/docker/cli-plugins/docker-buildx" version | awk '{print $2}')
  write_instance_env \
    "DOCKER_HOST=unix://$SOCK" \
    "STAGECRAFT_DOCKER=$r/usr/bin/docker" \
    "STAGECRAFT_BUILDX=$r/usr/libexec/docker/cli-plugins/docker-buildx" \
    "STAGECRAFT_ENGINE=docker26/$dockerd_v" \
    "STAGECRAFT_DOCKERD_VERSION=$dockerd_v" \
    "STAGECRAFT_BUILDX_VERSION=$buildx_v" \
    "STAGECRAFT_CONTAINERD_VERSION=$containerd_v" \
    "STAGECRAFT_ENGINE_SUITE=$suite" \
    "STAGECRAFT_ENGINE_LOG=$LOG_FILE" \
    "STAGECRAFT_LANE=docker26" \
    "STAGECRAFT_IMAGE_STORE=classic" \
    "STAGECRAFT_LEGACY=0"
}

cmd_up() {
  lane_vars "${1:-main}"
  mkdir -p "$STATE_DIR"
  if [[ $LANE == main ]] && external_engine_usable; then
    up_external
    echo "$ENV_FILE" >&3
    return 0
  fi
  need_root
  exec 9>"$GLOBAL_LOCK"
  flock 9
  ensure_host_packages
  mkdir -p "$ENGINE_CACHE" "$ENGINE_DATA"
  "up_$LANE"
  mkdir -p "$CLI_CONFIG"
  local docker
  docker=$(sed -n 's/^export STAGECRAFT_DOCKER=//p' "$INSTANCE_ENV")
  docker=$(eval "printf %s $docker")
  ensure_images "$docker"
  ensure_registry
  ensure_registry_busybox "$docker"
  write_lane_env
  log "$LANE engine up: $(sed -n 's/^export STAGECRAFT_ENGINE=//p' "$ENV_FILE")"
  echo "$ENV_FILE" >&3
}

# --- down ----------------------------------------------------------------------------
lane_running() {
  lane_vars "$1"
  [[ -n $(dockerd_pid) ]]
}

cmd_down() {
  local what=${1:-all} l lanes
  case $what in
    all) lanes=("${ALL_LANES[@]}") ;;
    main | legacy | docker26) lanes=("$what") ;;
    *) die "usage: engine.sh down [main|legacy|docker26|all]" ;;
  esac
  need_root
  exec 9>"$GLOBAL_LOCK"
  flock 9
  for l in "${lanes[@]}"; do
    lane_vars "$l"
    stop_dockerd
    remove_bridge
    rm -f "$ENV_FILE"
  done
  # The registry is shared: stop it with the last lane.
  local others=0
  for l in "${ALL_LANES[@]}"; do
    if lane_running "$l"; then others=1; fi
  done
  if [[ $what == all ]] || ((others == 0)); then
    stop_registry
  fi
  log "down: $what"
}

# --- env -----------------------------------------------------------------------------
cmd_env() {
  lane_vars "${1:-main}"
  [[ -r $ENV_FILE ]] || exit 1
  # The env file is ours; check in a subshell that its engine still answers.
  (
    set +u
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    timeout 10 "$STAGECRAFT_DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1
  ) || exit 1
  echo "$ENV_FILE" >&3
}

# --- check: smoke tests for a lane that is up --------------------------------------------
cmd_check() {
  lane_vars "${1:-main}"
  [[ -r $ENV_FILE ]] || die "lane $LANE is not up (no $ENV_FILE)"
  (
    set +u
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set -u
    local tmp pass=0 fail=0
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    t() { # t NAME CMD... : run one check, keep going
      local name=$1
      shift
      if "$@" >"$tmp/out.log" 2>&1; then
        pass=$((pass + 1))
        log "ok   $name"
      else
        fail=$((fail + 1))
        log "FAIL $name"
        tail -n 15 "$tmp/out.log" >&2
      fi
    }
    # shellcheck disable=SC2317 # called through t()
    build() { # build CTX ARGS... with this lane's builder
      local ctx=$1
      shift
      if [[ ${STAGECRAFT_LEGACY:-0} == 1 ]]; then
        DOCKER_BUILDKIT=1 "$STAGECRAFT_DOCKER" build "$@" "$ctx"
      else
        # shellcheck disable=SC2086 # STAGECRAFT_BUILDX may be "docker buildx"
        $STAGECRAFT_BUILDX build "$@" "$ctx"
      fi
    }
    mkdir -p "$tmp/a" "$tmp/b" "$tmp/c"
    printf 'FROM busybox\nRUN echo hi > /x\n' >"$tmp/a/Dockerfile"
    printf 'FROM %s/busybox\nRUN echo reg > /y\n' "$STAGECRAFT_REGISTRY" >"$tmp/b/Dockerfile"
    echo hello >"$tmp/c/f.txt"
    printf 'FROM scratch\nCOPY f.txt /f.txt\n' >"$tmp/c/Dockerfile"
    t "FROM busybox + RUN -> local dir" build "$tmp/a" -o "type=local,dest=$tmp/out-a"
    t "  ... output has /x" grep -qx hi "$tmp/out-a/x"
    t "FROM busybox + RUN -> image" build "$tmp/a" -t stagecraft-check:a
    t "docker run of the built image" "$STAGECRAFT_DOCKER" run --rm stagecraft-check:a cat /x
    t "FROM $STAGECRAFT_REGISTRY/busybox" build "$tmp/b" -o "type=local,dest=$tmp/out-b"
    # Multi-platform needs the containerd image store with the docker driver.
    if [[ ${STAGECRAFT_LEGACY:-0} != 1 && ${STAGECRAFT_IMAGE_STORE:-} != classic ]]; then
      t "multi-platform amd64+arm64 -> oci tar" build "$tmp/c" \
        --platform linux/amd64,linux/arm64 -o "type=oci,dest=$tmp/mp.tar"
    fi

    "$STAGECRAFT_DOCKER" rmi stagecraft-check:a >/dev/null 2>&1 || true
    log "check $LANE ($STAGECRAFT_ENGINE): $pass passed, $fail failed"
    ((fail == 0))
  )
}

usage() {
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    env) cmd_env "$@" ;;
    check) cmd_check "$@" ;;
    *) usage ;;
  esac
}

main "$@"
