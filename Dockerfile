# One image per process, built from the same workspace: `docker build --target api|realtime|web .`
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY api/package.json api/
COPY realtime/package.json realtime/
COPY web/package.json web/
COPY e2e/package.json e2e/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/contracts/package.json contracts/
COPY --from=build /app/contracts/dist contracts/dist
USER node

FROM runtime AS api
COPY --from=build /app/api/package.json api/
COPY --from=build /app/api/dist api/dist
EXPOSE 4000
CMD ["node", "api/dist/main.js"]

FROM runtime AS realtime
COPY --from=build /app/realtime/package.json realtime/
COPY --from=build /app/realtime/dist realtime/dist
EXPOSE 4001
CMD ["node", "realtime/dist/main.js"]

FROM runtime AS web
COPY --from=build /app/web/package.json web/
COPY --from=build /app/web/build web/build
EXPOSE 3000
CMD ["node", "web/build/index.js"]
