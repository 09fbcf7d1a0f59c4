import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../support/process.js';

const PACKAGE_DIR = path.join(PROJECT_ROOT, 'packages/verifier');
const manifest = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; import: string } | string>;
  dependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>;
};

/** The package as npm would publish it; needs `npm run build` (the root `npm test` builds first). */
describe('the published @identity-service/verifier', () => {
  it('depends on jose alone at run time, Fastify an optional peer', () => {
    expect(Object.keys(manifest.dependencies)).toEqual(['jose']);
    expect(manifest.peerDependenciesMeta.fastify?.optional).toBe(true);
  });

  it('exports built entry points with their types', async () => {
    const entries = Object.entries(manifest.exports).filter(([, target]) => typeof target !== 'string') as [string, { types: string; import: string }][];
    expect(entries.map(([name]) => name)).toEqual(['.', './fastify']);
    for (const [, target] of entries) {
      expect(existsSync(path.join(PACKAGE_DIR, target.types))).toBe(true);
    }
    const load = (name: string) => import(pathToFileURL(path.join(PACKAGE_DIR, (manifest.exports[name] as { import: string }).import)).href);
    const main = await load('.');
    expect(typeof main.createVerifier).toBe('function');
    expect(typeof main.VerifierError).toBe('function');
    const plugin = await load('./fastify');
    expect(typeof plugin.verifierPlugin).toBe('function');
    expect(typeof plugin.requireAuth).toBe('function');
  });

  it('packs its build, README and manifest only', () => {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PACKAGE_DIR, encoding: 'utf8' })) as { files: { path: string }[] }[];
    const files = packed!.files.map((file) => file.path);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/fastify.js', 'dist/fastify.d.ts']));
    expect(files.filter((file) => !file.startsWith('dist/') && file !== 'README.md' && file !== 'package.json')).toEqual([]);
  });
});
