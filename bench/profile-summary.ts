/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --profile`): self time
 * by package or source folder, and the hottest functions (those in the
 * server bundle by their module, with the bundle's line).
 *
 *   npx tsx bench/profile-summary.ts bench/results/profiles/CPU.….cpuprofile [top]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

/**
 * The server runs as an esbuild bundle (dist/server.mjs and its chunks), which
 * marks where each module's code begins with a `// <path>` line. A frame in
 * a bundle is attributed to the module whose mark precedes its line.
 */
const bundleMarks = new Map<string, { line: number; path: string }[]>();
function sourceOf(url: string, lineNumber: number): string {
  if (!/^file:.*\/dist\/.*\.mjs$/.test(url)) return url;
  let marks = bundleMarks.get(url);
  if (!marks) {
    marks = readFileSync(new URL(url), 'utf8')
      .split('\n')
      .flatMap((text, line) => (/^\/\/ ((?:node_modules|dist\/src)\/\S+)$/.test(text) ? [{ line, path: text.slice(3) }] : []));
    bundleMarks.set(url, marks);
  }
  let found: string | undefined;
  for (const mark of marks) {
    if (mark.line > lineNumber) break;
    found = mark.path;
  }
  return found ?? url;
}

/** node_modules/<pkg>, src/<folder>, node:internal, or the VM's own entries ((garbage collector), (idle)…). */
function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const own = /\/(?:dist\/)?(src\/[^/]+(?:\/[^/]+)?)\//.exec(url)?.[1];
  if (own) return own;
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/')[0] ?? url;
  return url;
}

const areas = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, time] of self) {
  const node = byId.get(id);
  if (!node) continue;
  const { functionName, lineNumber } = node.callFrame;
  const url = sourceOf(node.callFrame.url, lineNumber);
  const key = area(url, functionName);
  areas.set(key, (areas.get(key) ?? 0) + time);
  const where = url === node.callFrame.url ? `:${lineNumber + 1}` : ` (bundle line ${lineNumber + 1})`;
  const fn = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|src)\//, '$1/')}${where}`;
  functions.set(fn, (functions.get(fn) ?? 0) + time);
}

const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
const top = Number(topArg);
process.stdout.write(`total ${(total / 1e6).toFixed(1)} s of samples\n\nself time by area\n`);
for (const [key, time] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(time)}  ${key}\n`);
process.stdout.write('\nhottest functions (self time)\n');
for (const [key, time] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(time)}  ${key}\n`);
