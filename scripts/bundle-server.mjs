// The server as one ES module, dist/server.mjs, from the compiled dist/src/server.js.
// Resolving, reading and compiling the 630 module files it loads was about a quarter of
// start-up; one file starts 20 % sooner (see the README's Performance section).
// Left outside the bundle: packages that load native code, WebAssembly or data
// files from their own directory, and whatever the code loads on demand.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/server.js'],
  outfile: 'dist/server.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['argon2', '@electric-sql/pglite', '@prisma/*', 'pglite-prisma-adapter', 'pg-native'],
  // Bundled CommonJS packages call require() for Node's built-ins.
  banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
