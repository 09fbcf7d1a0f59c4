import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runCommand } from './deploy.js';
import { PROJECT_ROOT } from './process.js';

/**
 * The Dockerfile's runtime stage, read from the Dockerfile itself (its COPY,
 * RUN npm, ENV, USER and CMD lines), and rebuilt by hand in a directory: no
 * Docker engine here. test/deploy/image-runtime.test.ts runs the result as the
 * chart does; bench/footprint.ts measures its size and cold start.
 */

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1] ?? String(stages.length), instructions: [] });
    }
    stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

export const dockerfile = parseDockerfile(readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8'));
const runtime = dockerfile.at(-1)!;
const all = (keyword: string) => runtime.instructions.filter((instruction) => instruction.keyword === keyword);
const workdirOf = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args ?? '/';

/** ENV lines in `KEY=value` form (several per line allowed). */
export const imageEnv: Record<string, string> = Object.fromEntries(
  all('ENV').flatMap((instruction) => [...instruction.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)].map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, '')])),
);
export const jsonArray = (args: string): string[] => JSON.parse(args) as string[];
export const cmd = jsonArray(all('CMD').at(-1)?.args ?? '[]');
export const user = all('USER').at(-1)?.args ?? '';
/** The npm commands of the runtime stage's RUN lines (the rest, mkdir and chown, is emulated by the caller's directories). */
export const npmCommands = all('RUN')
  .flatMap((instruction) => instruction.args.split('&&').map((part) => part.trim()))
  .filter((part) => part.startsWith('npm '));
export const npmCi = npmCommands.find((part) => part.startsWith('npm ci'));

/** Each COPY as host source paths and a destination inside the image's WORKDIR. */
export const copies = all('COPY').map(({ args }) => {
  const words = args.split(/\s+/);
  const flags = words.filter((word) => word.startsWith('--'));
  const paths = words.filter((word) => !word.startsWith('--'));
  const dest = paths.pop()!;
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  const sources = paths.map((source) => {
    if (!from) return source; // from the build context: the project root
    // From the build stage, which copies the whole context into its WORKDIR and builds there.
    const stage = dockerfile.find((candidate) => candidate.name === from);
    if (!stage) throw new Error(`COPY --from=${from}: no such stage`);
    return path.relative(workdirOf(stage), source);
  });
  return { sources, dest, flags };
});

/** The runtime stage's files in `app`: its COPY lines from this (built) checkout, then its npm commands, in order. */
export async function assembleRuntimeStage(app: string): Promise<void> {
  mkdirSync(app, { recursive: true });
  for (const copy of copies) {
    const dest = path.resolve(app, copy.dest);
    for (const source of copy.sources) {
      const from = path.join(PROJECT_ROOT, source);
      if (!existsSync(from)) throw new Error(`Dockerfile copies ${source}, which does not exist (did \`npm run build\` run?)`);
      const into = copy.dest.endsWith('/') || copy.sources.length > 1 ? path.join(dest, path.basename(source)) : dest;
      cpSync(from, into, { recursive: true });
    }
  }
  // Not its cache cleaning (this cache is ours); offline when the cache has it all.
  for (const command of npmCommands.filter((part) => !part.startsWith('npm cache'))) {
    const [, ...npmArgs] = command.split(/\s+/);
    const extra = command === npmCi ? ['--no-audit', '--no-fund', '--prefer-offline'] : [];
    const step = await runCommand('npm', [...npmArgs, ...extra, '--loglevel=error'], { cwd: app, env: process.env, timeoutMs: 180_000 });
    if (step.code !== 0) throw new Error(`${command} failed (${step.code}):\n${step.output}`);
  }
}
