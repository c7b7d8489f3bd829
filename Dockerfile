# syntax=docker/dockerfile:1
# The image `zonectl install control-plane` runs (default --image zonectl:<version>):
#   docker build -t zonectl:0.1.0 .
# Stage 1 builds (dev dependencies, compilers for better-sqlite3); stage 2 holds only what the npm
# package ships (test/install/dockerfile.test.ts checks the list against `npm pack`) and the
# production dependencies, runs as a non-root user, and has zonectl as its entrypoint.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Scripts off: `prepare` would build before the sources are here; the native module is built next.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
# The files of the npm package, nothing else.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/README.md ./README.md
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/schemas ./schemas
COPY --from=build /app/oclif.manifest.json ./oclif.manifest.json
RUN ln -s /app/bin/run.js /usr/local/bin/zonectl
# The user the rendered manifests run as (runAsUser/runAsGroup 5678); no shell needed at run time.
USER 5678:5678
ENTRYPOINT ["node", "/app/bin/run.js"]
CMD ["--help"]
