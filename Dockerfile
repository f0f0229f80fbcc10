# The Stagecraft frontend image, built from source: a static binary on scratch.
#   docker buildx build -t stagecraft:dev .
# Where no image can be pulled (no rust base image), use scripts/frontend-image.sh,
# which packages a host-built static binary with Dockerfile.prebuilt instead.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
ARG REVISION=
RUN arch="$(uname -m)" && \
    STAGECRAFT_REVISION="$REVISION" RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked \
      --target "${arch}-unknown-linux-gnu" -p stagecraft && \
    cp "target/${arch}-unknown-linux-gnu/release/stagecraft" /stagecraft

FROM scratch
COPY --from=build /stagecraft /stagecraft
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
