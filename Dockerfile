# syntax=docker/dockerfile:1
# faasload as a container image, for load generators on Kubernetes (deploy/kubernetes/).
#   docker build -t faasload:0.1.0 .
# Two stages: the build (dev dependencies, tsc) and the runtime (production dependencies,
# compiled JavaScript, the bundled sample traces), run as the unprivileged user `node`.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
RUN npx tsc -p tsconfig.json \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/bin ./bin
COPY traces ./traces
RUN ln -s /app/bin/faasload.js /usr/local/bin/faasload \
 && mkdir -p /data \
 && chown node:node /data
USER node
# The run's datasets go here unless --out says otherwise (a volume on Kubernetes).
WORKDIR /data
ENTRYPOINT ["faasload"]
CMD ["--help"]
