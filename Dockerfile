# The Stagecraft frontend image, built from source: a static binary on scratch,
# cross-compiled on the build platform for each target platform (no emulation)
# with Debian sid's rustc and cross gcc. The same recipe as stagecraft.yaml, for
# an engine that has no Stagecraft image yet: both give the same binary bytes.
#   docker buildx build --platform linux/amd64,linux/arm64 -t stagecraft:dev .
# Offline, with the crates vendored beforehand (`cargo vendor --locked DIR`):
#   ... --build-arg CRATES=crates --build-context crates=DIR .
# Where no Debian image can be pulled, scripts/frontend-image.sh packages a
# host-built static binary with Dockerfile.prebuilt instead.
ARG DEBIAN=debian:sid
ARG CRATES=vendor

FROM --platform=$BUILDPLATFORM ${DEBIAN} AS toolchain
ARG BUILDARCH
RUN --mount=type=cache,target=/var/cache/apt,id=stagecraft-apt-cache,sharing=locked \
    --mount=type=cache,target=/var/lib/apt,id=stagecraft-apt-lists,sharing=locked \
    set -eu; \
    case "$BUILDARCH" in \
      amd64) foreign=arm64; cross=aarch64-linux-gnu ;; \
      arm64) foreign=amd64; cross=x86-64-linux-gnu ;; \
      *) echo "the frontend is built on linux/amd64 or linux/arm64, not on $BUILDARCH" >&2; exit 1 ;; \
    esac; \
    pkgs="rustc cargo libstd-rust-dev libstd-rust-dev:$foreign gcc libc6-dev gcc-$cross libc6-dev-$foreign-cross"; \
    if ! dpkg -s $pkgs >/dev/null 2>&1; then \
      dpkg --add-architecture "$foreign"; \
      apt-get update; \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs; \
    fi

FROM --platform=$BUILDPLATFORM toolchain AS fetch
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.cargo/registry,id=stagecraft-cargo-registry,sharing=locked \
    cargo vendor --locked /crates > /dev/null

FROM scratch AS vendor
COPY --from=fetch /crates/ /

FROM ${CRATES} AS crates-source

FROM --platform=$BUILDPLATFORM toolchain AS build
WORKDIR /src
ENV CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=x86_64-linux-gnu-gcc \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    RUSTFLAGS="-C target-feature=+crt-static"
COPY . .
ARG TARGETARCH
ARG REVISION=
ARG SOURCE_DATE_EPOCH=
RUN --mount=from=crates-source,target=/crates \
    --mount=type=cache,target=/src/target,id=stagecraft-target-$TARGETARCH,sharing=locked \
    set -eu; \
    case "$TARGETARCH" in \
      amd64) triple=x86_64-unknown-linux-gnu ;; \
      arm64) triple=aarch64-unknown-linux-gnu ;; \
      *) echo "the frontend image is built for linux/amd64 and linux/arm64, not for $TARGETARCH" >&2; exit 1 ;; \
    esac; \
    STAGECRAFT_REVISION="$REVISION" cargo build --release --locked --offline \
      --config 'source.crates-io.replace-with="vendored"' \
      --config 'source.vendored.directory="/crates"' \
      --target "$triple" -p stagecraft; \
    mkdir -p /out; \
    cp "target/$triple/release/stagecraft" /out/stagecraft; \
    if [ -n "$SOURCE_DATE_EPOCH" ]; then touch -d "@$SOURCE_DATE_EPOCH" /out/stagecraft; fi

FROM scratch
COPY --from=build /out/stagecraft /stagecraft
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
ARG VERSION=1.1.0
ARG REVISION=
ARG SOURCE=
LABEL org.opencontainers.image.title="stagecraft" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}"
ENTRYPOINT ["/stagecraft", "frontend"]
