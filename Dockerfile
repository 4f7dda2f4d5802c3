# syntax=docker/dockerfile:1
# releasegate container image: build with dev dependencies, run with production dependencies only.
# Kubernetes probes /healthz and /readyz, so the image declares no HEALTHCHECK.
# test/container-image.test.ts runs these stages without a container engine: keep RUN commands
# relative to WORKDIR, and let every file a stage copies into the context (.dockerignore).
ARG NODE_VERSION=26

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json tsconfig.client.json ./
COPY src ./src
# Compiles src/ (bench/ is not in the context), checks and bundles the graph page's client code.
RUN npm run build

FROM node:${NODE_VERSION}-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM node:${NODE_VERSION}-slim
ENV NODE_ENV=production
# glibc's default of 8 malloc arenas per core inflates the RSS of a Node process that streams large
# list responses; two arenas keep the controller under its memory target (bench/controller).
ENV MALLOC_ARENA_MAX=2
# V8's young generation grows to two 16 MiB semi-spaces under the initial lists and never shrinks back
# (32 MiB of RSS for good); 8 MiB ones still hold a list page's objects until they are decoded, at no
# measurable CPU cost (bench/controller; docs/architecture.md, "Memory"). A NODE_OPTIONS of the pod replaces it.
ENV NODE_OPTIONS=--max-semi-space-size=8
# bin/releasegate is the launcher npm links as the `releasegate` command; committed executable.
ENV PATH=/app/bin:$PATH
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY package.json LICENSE ./
COPY bin ./bin
# The chart runs it as 65532 with a read-only root filesystem; nothing here needs to be writable.
USER 65532:65532
EXPOSE 9443 8080 9080
ENTRYPOINT ["releasegate"]
CMD ["serve"]
