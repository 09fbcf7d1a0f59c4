# Build: compile TypeScript and generate the Prisma client (compiled into dist/),
# then bundle the server into dist/server.mjs (the CLIs stay in dist/src/cli/).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install script is needed to compile, and skipping them keeps the build from
# downloading anything but npm packages (Prisma's engines are not needed here).
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

# Runtime: production dependencies and compiled output only.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
# Memory (the benchmark starts the service with these same settings, read
# from here). glibc gives each thread its own malloc arena and keeps what is
# freed there: argon2's 19 MiB per hash stayed resident on every libuv thread
# (RSS 288 MB after 16 logins; 208 MB with 2 arenas). With 2 arenas shared by
# the hashing threads, glibc handed each freed block back to the kernel and
# faulted a new one in for the next hash (2.5 ms of system time per login);
# a 64 MiB top pad keeps one block's worth in each arena (+7 % logins/s, about
# +20 MB peak RSS). V8 lets its heap grow far past the ~50 MB of live data on
# a large host; 128 MB bounds it. The chart sets NODE_OPTIONS from its
# `heapMegabytes` value.
ENV MALLOC_ARENA_MAX=2 \
    MALLOC_TOP_PAD_=67108864 \
    NODE_OPTIONS=--max-old-space-size=128
WORKDIR /app
COPY package.json package-lock.json ./
# `dependencies` only. --omit=optional too: npm keeps a dev dependency that also
# satisfies a production package's optional peer (prisma and typescript, for
# @prisma/client), and with them the Prisma CLI's 250 MB of tooling; the only
# optional package left out besides is pg-cloudflare (Cloudflare Workers).
# Install scripts stay off, except argon2's: it checks that the prebuilt binary it
# ships loads here and compiles from source only when it does not (a prebuilt
# one that segfaults on load has been seen). Without a compiler in this slim
# image, such a platform fails this build instead of crashing the pods.
RUN npm ci --omit=dev --omit=optional --ignore-scripts \
 && npm rebuild argon2 \
 && npm cache clean --force \
 && mkdir -p /data \
 && chown 10001:10001 /data
COPY --from=build /app/dist ./dist
COPY prisma/migrations ./prisma/migrations
# config/clients.demo.json is left out on purpose: without CLIENTS_FILE the
# service refuses to start instead of serving demo clients with known secrets.
# /app stays root-owned, so the service cannot rewrite its own code. The only
# writable places are DATA_DIR (embedded database, when DATABASE_URL is unset)
# and /tmp; run with --read-only and mount a volume or tmpfs there.
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself, then drains for
# SHUTDOWN_GRACE_MS before exiting.
CMD ["node", "dist/server.mjs"]
