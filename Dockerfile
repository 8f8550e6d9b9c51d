# keyplane-server's image, for KeyplaneServer (keyplane/kubernetes). Build from the repository
# root after `npm ci && npm run build`:  docker build -t keyplane-server .
# It runs as a non-root user and writes only to /data and /tmp (emptyDirs under KeyplaneServer,
# whose root filesystem is read-only).
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY api/package.json api/
COPY server/package.json server/
COPY policy-pack/package.json policy-pack/
# The server's runtime dependencies only (better-sqlite3 builds or fetches its native addon here).
RUN npm ci --omit=dev --workspace=@keyplane/server --no-audit --no-fund

FROM node:22-bookworm-slim
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/package.json package.json
COPY api/package.json api/
COPY api/dist api/dist
COPY server/package.json server/
COPY server/dist server/dist
ENV NODE_ENV=production KEYPLANE_DATA_DIR=/data
USER 10001:10001
EXPOSE 8420
ENTRYPOINT ["node", "server/dist/cli.js"]
CMD ["--host", "0.0.0.0", "--data-dir", "/data"]
