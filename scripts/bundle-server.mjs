// The server as one ES module, dist/server.mjs, from the compiled dist/src/server.js.
// Resolving, reading and compiling the 630 module files it loaded was about a third of
// its start-up; the bundle is ready a third sooner (see the README's Performance section).
// Left outside the bundle: packages that load native code, WebAssembly or data
// files from their own directory, and whatever the code loads on demand.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry a content hash: last build's chunks would otherwise pile up.
rmSync('dist/chunks', { recursive: true, force: true });

await build({
  entryPoints: { server: 'dist/src/server.js' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // What the code imports on demand (one database engine's driver, Prisma) becomes
  // chunks loaded on demand: in one file, their packages would load at every start.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // pg too: Prisma's adapter, outside, must get the very pg the bundle runs; it takes a pool from another
  // copy of pg for a config object, and the process died on its first query through Prisma.
  // pg and ioredis also stay outside so that OpenTelemetry's instrumentations can patch them as they load
  // (src/telemetry); the SDK itself is imported only when tracing is on, and loads its own files.
  external: ['argon2', '@electric-sql/pglite', '@prisma/*', 'pglite-prisma-adapter', 'pg', 'pg-native', 'ioredis', '@opentelemetry/*', '@fastify/otel'],
  // Bundled CommonJS packages call require() for Node's built-ins.
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
