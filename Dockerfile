# syntax=docker/dockerfile:1
# One image for orchestration, workers and the migration Job (deploy/kubernetes/).
#
# Runtime: the TypeScript sources run through tsx (node --import tsx), as in development. Workspace packages
# export their src/*.ts files, so compiled JS alone would not resolve `@tasker/*` imports; `tsc -b` still runs
# here as a build gate (a type error fails the image build). Production dependencies come from `npm ci
# --omit=dev`; tsx and esbuild (the only runtime dev tools) are copied from the build stage at the versions the
# lockfile pins. tsx transpiles each file once per process start (milliseconds, cached under /tmp).
ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/orchestration/package.json packages/orchestration/
COPY packages/worker/package.json packages/worker/
COPY packages/client/package.json packages/client/
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM deps AS build
COPY . .
RUN npx tsc -b

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/orchestration/package.json packages/orchestration/
COPY packages/worker/package.json packages/worker/
COPY packages/client/package.json packages/client/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/node_modules/tsx node_modules/tsx
COPY --from=build /app/node_modules/esbuild node_modules/esbuild
COPY --from=build /app/node_modules/@esbuild node_modules/@esbuild
# `npm run migrate` (the migration Job) calls the tsx binary.
RUN mkdir -p node_modules/.bin && ln -sf ../tsx/dist/cli.mjs node_modules/.bin/tsx
COPY --from=build /app/config config
COPY --from=build /app/migrations migrations
COPY --from=build /app/proto proto
COPY --from=build /app/packages/shared/src packages/shared/src
COPY --from=build /app/packages/orchestration/src packages/orchestration/src
COPY --from=build /app/packages/worker/src packages/worker/src
COPY --from=build /app/packages/worker/bin packages/worker/bin
COPY --from=build /app/packages/client/src packages/client/src
COPY --from=build /app/packages/client/bin packages/client/bin
COPY --from=build /app/examples examples
COPY --from=build /app/tsconfig.base.json /app/tsconfig.json ./
USER node
EXPOSE 8080 9190 8081 9191
# Exec form: node is PID 1's only child-less process and receives SIGTERM directly (graceful shutdown).
CMD ["node", "--import", "tsx", "packages/orchestration/src/main.ts"]
