# syntax=docker/dockerfile:1
# One image recipe for the four services; the build argument SERVICE picks which one (a folder
# under services/). The build context is the repository root, the npm workspace the services share:
#   docker build --build-arg SERVICE=policy-authority -t duet-policy-authority .
# docker-compose.yml builds each service the same way; tests/deploy/compose.spec.ts checks this file
# against the workspace for every service (every manifest copied, every @duet package it needs shipped).
#
# persona-runtime is one image for both personas: PERSONA=personal or business picks which at run time.

ARG NODE_IMAGE=node:20-bookworm-slim

# Every workspace manifest and the lockfile: `npm ci` checks the whole workspace against the
# lockfile, and the layers below are reused until one of these files changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/sim-core/package.json packages/sim-core/
COPY packages/service-kit/package.json packages/service-kit/
COPY packages/stack/package.json packages/stack/
COPY apps/duet/package.json apps/duet/
COPY services/telemetry/package.json services/telemetry/
COPY services/hypervisor-core/package.json services/hypervisor-core/
COPY services/persona-runtime/package.json services/persona-runtime/
COPY services/policy-authority/package.json services/policy-authority/

# The service's production dependencies only (no install scripts: none of them needs one).
FROM manifests AS dependencies
ARG SERVICE
RUN --mount=type=cache,target=/root/.npm \
    test -n "${SERVICE}" || { echo "--build-arg SERVICE=<a folder under services/> is required" >&2; exit 1; } && \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace "@duet/${SERVICE}"

# The build: the root's devDependencies (TypeScript) and @duet/contracts' (buf, ts-proto) included.
# What the service runs from is gathered under /out: its dist, and its migrations and dashboard
# when it has them (policy-authority and telemetry migrate at start-up; telemetry serves the dashboard).
FROM manifests AS build
ARG SERVICE
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund --workspace "@duet/${SERVICE}" --include-workspace-root
COPY tsconfig.base.json ./
COPY proto/ proto/
COPY packages/contracts/ packages/contracts/
COPY packages/sim-core/ packages/sim-core/
COPY packages/service-kit/ packages/service-kit/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN npm run generate --workspace @duet/contracts && npx tsc -b "services/${SERVICE}"
RUN mkdir -p "/out/services/${SERVICE}" && cp -r "services/${SERVICE}/dist" "/out/services/${SERVICE}/" && \
    for asset in migrations dashboard; do \
      if [ -d "services/${SERVICE}/${asset}" ]; then cp -r "services/${SERVICE}/${asset}" "/out/services/${SERVICE}/"; fi; \
    done && \
    echo "require('./services/${SERVICE}/dist/main.js');" > /out/main.js

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
WORKDIR /app
# NODE_PATH: npm nests a service's own @grpc/proto-loader (0.8) under services/<service>/node_modules,
# because a dev-only dependency (testcontainers' dockerode) holds the root's 0.7 in the lockfile. Without
# dev dependencies the root copy is gone, and @nestjs/microservices, which loads it from the root,
# would not find one; NODE_PATH lets it fall back to the service's.
# The hosts: every service listens on all interfaces inside its container (HOST, or GRPC_HOST and
# HTTP_HOST for policy-authority); a variable a service does not read is ignored.
ENV NODE_ENV=production \
    NODE_PATH=/app/services/${SERVICE}/node_modules \
    HOST=0.0.0.0 \
    GRPC_HOST=0.0.0.0 \
    HTTP_HOST=0.0.0.0
COPY --from=dependencies /app ./
# The gRPC services load the .proto files at run time (PROTO_ROOT in @duet/contracts).
COPY --from=build /app/proto proto
COPY --from=build /app/packages/contracts/dist packages/contracts/dist
COPY --from=build /app/packages/sim-core/dist packages/sim-core/dist
COPY --from=build /app/packages/service-kit/dist packages/service-kit/dist
# The outbox table's migrations, which policy-authority and telemetry apply in their schemas.
COPY --from=build /app/packages/service-kit/migrations packages/service-kit/migrations
COPY --from=build /out/ ./
USER node
# main.js requires services/<service>/dist/main.js; the exec form makes node PID 1, so it receives
# the container's SIGTERM itself.
CMD ["node", "main.js"]
