# The Dockerfile twin of examples/multistage/stagecraft.yaml, for scripts/bench.sh
# (a fully cached rebuild, side by side). Build it with the example as the context:
#   docker buildx build -f scripts/bench/multistage.Dockerfile examples/multistage
# It gives the same image: the same files (modes, owners, contents) and config.
# No `# syntax` line: the engine's built-in Dockerfile frontend is used.
#
# Stagecraft exports every top-level argument to every `run` step, so each
# stage re-declares both ARGs (a Dockerfile scopes them per stage).
ARG APP_NAME=server
ARG GREETING="hello from stagecraft"

FROM busybox AS builder
ARG APP_NAME
ARG GREETING
WORKDIR /src
COPY deps.txt ./
RUN mkdir -p /deps && while read -r dep; do echo "resolved $dep" >> /deps/lock; done < deps.txt
COPY src src/
RUN <<EOT
mkdir -p /out
{
  echo '#!/bin/sh'
  echo "GREETING='$GREETING'"
  cat /deps/lock | sed 's/^/# /'
  cat src/main.sh
} > /out/$APP_NAME
chmod 0755 /out/$APP_NAME
EOT

FROM busybox AS runtime
ARG APP_NAME
ARG GREETING
ENV APP_HOME=/app
WORKDIR /app
RUN echo 'app:x:10001:10001:app:/app:/bin/sh' >> /etc/passwd && echo 'app:x:10001:' >> /etc/group
COPY --link --chmod=0755 --from=builder /out/${APP_NAME} /app/server
USER app
EXPOSE 8080
LABEL org.opencontainers.image.title="stagecraft multistage example"
HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD ["/app/server", "--check"]
ENTRYPOINT ["/app/server"]
CMD ["--serve"]
