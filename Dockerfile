# syntax=docker/dockerfile:1
#
# Image of the k8s-nas-panel web server (Next.js standalone output).
#   docker build -t k8s-nas-panel:dev --build-arg VERSION=$(node -p "require('./package.json').version") .
#   docker run --rm -p 127.0.0.1:3000:3000 --read-only --tmpfs /tmp -v panel-data:/data \
#     -e AUTH_SECRET=... -e PANEL_ADMIN_PASSWORD_HASH=... k8s-nas-panel:dev
# Three stages: `deps` installs node_modules (with the compilers better-sqlite3 needs), `build` runs
# `next build`, `runtime` holds only the standalone server, its static assets and public/ and runs
# as UID 10001 on a read-only root filesystem (writes go to /data and /tmp only).
# deps and runtime use the same base image: the better-sqlite3 addon compiled in deps must load in
# runtime (same glibc, same Node ABI).
# Node 22 LTS on Debian bookworm, pinned by digest (the tag moves; a digest is one exact image). The
# development machine runs Node 20; the standalone server and better-sqlite3 12 (Node 20-26) run on
# both. To move to a newer patch release: docker buildx imagetools inspect node:22-bookworm-slim, and
# replace the digest (deploy/check-dockerfile.test.ts checks the pin and the Node major).

ARG NODE_IMAGE=node:22-bookworm-slim@sha256:53ada149d435c38b14476cb57e4a7da73c15595aba79bd6971b547ceb6d018bf

FROM ${NODE_IMAGE} AS deps
WORKDIR /src
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# No install script of any package runs (a compromised dependency cannot run code in the build). The
# one native addon the panel needs, better-sqlite3, is then compiled from its own source against this
# image's Node headers, and loaded once to prove it works.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund --ignore-scripts \
 && cd node_modules/better-sqlite3 \
 && npm_config_nodedir=/usr/local npm run build-release \
 && cd /src \
 && node -e "require('better-sqlite3')(':memory:').prepare('select 1 as ok').get()"

FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV NEXT_TELEMETRY_DISABLED=1
COPY --from=deps /src/node_modules ./node_modules
COPY . .
# public/ may be empty, and Git does not keep empty folders: make sure it exists for the copy below.
RUN mkdir -p public \
 && npm run build \
 && test -f .next/standalone/server.js

FROM ${NODE_IMAGE} AS runtime
# V8 limits that keep the panel's memory flat (measured: under 300 MB RSS at 3,000 pods).
ENV NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=4"
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="k8s-nas-panel" \
      org.opencontainers.image.description="Control panel for a home Kubernetes media server: health, integrations, backups, certificates, GitOps changes." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
# tini runs as PID 1: it forwards SIGTERM to node and reaps child processes. git (with openssh-client
# for ssh:// repository URLs) is what the panel uses to branch, commit and push configuration changes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 panel \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin panel \
 && mkdir -p /data \
 && chown 10001:10001 /data
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0 \
    PANEL_DATA_DIR=/data \
    HOME=/tmp
WORKDIR /app
# Application files stay owned by root: the server cannot modify its own code.
COPY --from=build /src/.next/standalone ./
COPY --from=build /src/.next/static ./.next/static
COPY --from=build /src/public ./public
# Next.js writes its runtime caches (optimised images, fetch cache) under .next/cache: point that at
# /tmp so the root filesystem can stay read-only.
RUN rm -rf .next/cache \
 && ln -s /tmp .next/cache
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "server.js"]
