# syntax=docker/dockerfile:1
# One image for every service; docker-compose.yml picks the entry point with `command`.
ARG NODE_IMAGE=node:20-alpine

# All dependencies, for the build.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# Bundles services/<name>/src/main.ts and scripts/migrate.ts into dist/.
FROM deps AS build
COPY . .
RUN npm run build

# Production dependencies only (the bundles leave node_modules packages external).
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Left owned by root: the app user can read the code but not rewrite it.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
# Overridden per service: node dist/socket-edge.js | message-service.js | history-service.js | migrate.js latest
CMD ["node", "dist/socket-edge.js"]
