import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { envSchema } from '../../src/config/schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const chartDir = path.join(root, 'helm/identity-service');
const templatesDir = path.join(chartDir, 'templates');
const read = (file: string) => readFileSync(file, 'utf8');

type Values = Record<string, unknown>;
const values = parse(read(path.join(chartDir, 'values.yaml'))) as Values;
const schema = JSON.parse(read(path.join(chartDir, 'values.schema.json'))) as object;
const templates = readdirSync(templatesDir).map((name) => ({ name, text: read(path.join(templatesDir, name)) }));

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats.default(ajv);
const validateValues = ajv.compile(schema);

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const withValues = (change: (v: Values) => void): Values => {
  const copy = structuredClone(values);
  change(copy);
  return copy;
};

/** Go template comments may hold anything, braces and keywords included. */
const stripComments = (text: string) => text.replace(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g, '');

/** Unbalanced delimiters and unclosed or stray if/range/with/define/block ... end. */
function templateProblems(text: string): string[] {
  const src = stripComments(text);
  const problems: string[] = [];
  let open = false;
  for (const match of src.matchAll(/\{\{|\}\}/g)) {
    if (match[0] === '{{') {
      if (open) problems.push(`nested {{ at offset ${match.index}`);
      open = true;
    } else {
      if (!open) problems.push(`stray }} at offset ${match.index}`);
      open = false;
    }
  }
  if (open) problems.push('unclosed {{');
  const stack: string[] = [];
  for (const [, action = ''] of src.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)) {
    const word = /^[a-z]+/.exec(action)?.[0];
    if (word && ['if', 'range', 'with', 'define', 'block'].includes(word)) stack.push(word);
    else if (word === 'else' && !['if', 'range', 'with'].includes(stack.at(-1) ?? '')) problems.push('else outside if/range/with');
    else if (word === 'end' && !stack.pop()) problems.push('end without a block');
  }
  if (stack.length) problems.push(`unclosed ${stack.join(', ')}`);
  return problems;
}

/** Every `.Values.a.b` (or `$.Values.a.b`) a template reads. */
const valuePaths = (text: string) =>
  [...stripComments(text).matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((m) => (m[1] ?? '').slice(1));

function existsIn(tree: unknown, dotted: string): boolean {
  let node = tree;
  for (const key of dotted.split('.')) {
    if (!isObject(node) || !Object.hasOwn(node, key)) return false;
    node = node[key];
  }
  return true;
}

/** Leaf paths of values.yaml; empty maps and lists count as leaves. */
function leafPaths(tree: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, child]) => {
    const here = prefix + key;
    return isObject(child) && Object.keys(child).length ? leafPaths(child, here + '.') : [here];
  });
}

/** Instructions of a Dockerfile, continuation lines joined and comments dropped. */
function dockerInstructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

function dockerfileProblems(text: string): string[] {
  const all = dockerInstructions(text);
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  const runtime = all.slice(lastFrom);
  const problems: string[] = [];
  if (lastFrom < 1) problems.push('not multi-stage');
  const user = runtime.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
  const uid = /^(\d+)(:\d+)?$/.exec(user)?.[1];
  if (uid === undefined || Number(uid) === 0) problems.push(`runtime USER "${user}" is not a numeric non-root id`);
  if (!runtime.some((i) => i.op === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args))) problems.push('runtime does not npm ci --omit=dev');
  const env = runtime.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
  if (!/(^|\s)NODE_ENV=production(\s|$)/.test(env)) problems.push('runtime lacks ENV NODE_ENV=production');
  if (!/(^|\s)HOST=0\.0\.0\.0(\s|$)/.test(env)) problems.push('runtime lacks ENV HOST=0.0.0.0');
  const cmd = runtime.filter((i) => i.op === 'CMD').at(-1)?.args ?? '';
  if (!/^\[\s*"node",.*"dist\/server\.mjs"\s*\]$/.test(cmd)) problems.push(`CMD ${cmd} is not the exec form of node dist/server.mjs`);
  // Anything set with ENV or ARG stays readable in the image's history.
  for (const { op, args } of all.filter((i) => i.op === 'ENV' || i.op === 'ARG')) {
    const names = args.includes('=') ? [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]) : [args.split(/\s+/)[0]];
    for (const name of names) {
      if (/PASSWORD|SECRET|TOKEN|KEY|DATABASE_URL|REDIS_URL|CREDENTIAL/i.test(name ?? '')) problems.push(`${op} ${name} may carry a secret`);
    }
  }
  return problems;
}

describe('values.schema.json', () => {
  it('is draft-07 and accepts values.yaml', () => {
    expect((schema as { $schema?: string }).$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(validateValues(values), JSON.stringify(validateValues.errors)).toBe(true);
  });

  const bad: [string, (v: Values) => void][] = [
    ['replicaCount: -1', (v) => (v.replicaCount = -1)],
    ['an unknown top-level key', (v) => (v.replicas = 3)],
    ['an unknown nested key', (v) => ((v.config as Values).issuerUrl = 'https://id.example.com')],
    ['a missing image repository', (v) => delete (v.image as Values).repository],
    ['an empty image repository', (v) => ((v.image as Values).repository = '')],
    ['an unknown pullPolicy', (v) => ((v.image as Values).pullPolicy = 'Sometimes')],
    ['an http issuer', (v) => ((v.config as Values).issuer = 'http://id.example.com')],
    ['an unknown log level', (v) => ((v.config as Values).logLevel = 'verbose')],
    ['a privileged port', (v) => ((v.config as Values).port = 80)],
    ['runAsUser 0', (v) => ((v.securityContext as Values).runAsUser = 0)],
    ['a secret set through extraEnv', (v) => ((v.config as Values).extraEnv = { DATABASE_URL: 'postgres://x' })],
    ['a missing database secret name', (v) => delete ((v.secrets as Values).database as Values).name],
    ['no memory limit', (v) => delete ((v.resources as Values).limits as Values).memory],
    ['maxSurge 0 (with maxUnavailable 0 a rollout could never progress)', (v) => (v.maxSurge = 0)],
    ['a string where a number belongs', (v) => (v.terminationGracePeriodSeconds = '30')],
  ];
  it.each(bad)('rejects %s', (_label, change) => {
    expect(validateValues(withValues(change))).toBe(false);
  });

  it('accepts the optional features switched on', () => {
    const on = withValues((v) => {
      (v.config as Values).issuer = 'https://id.example.com';
      (v.secrets as Values).redis = { name: 'identity-service-redis', key: 'REDIS_URL' };
      (v.secrets as Values).smtp = { name: 'identity-service-smtp', key: 'SMTP_URL' };
      (v.config as Values).emailVerification = 'required';
      for (const key of ['autoscaling', 'networkPolicy', 'serviceMonitor']) (v[key] as Values).enabled = true;
      (v.image as Values).digest = 'sha256:' + 'a'.repeat(64);
      v.maxSurge = '25%';
    });
    expect(validateValues(on), JSON.stringify(validateValues.errors)).toBe(true);
  });
});

describe('templates', () => {
  const manifests = templates.filter((t) => t.name.endsWith('.yaml'));

  it('include every resource the chart promises', () => {
    const kinds = manifests.flatMap((t) => [...t.text.matchAll(/^kind:\s*(\w+)/gm)].map((m) => m[1]));
    for (const kind of ['Deployment', 'Service', 'ServiceAccount', 'ConfigMap', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'ServiceMonitor', 'Job']) {
      expect(kinds).toContain(kind);
    }
    expect(templates.map((t) => t.name)).toEqual(expect.arrayContaining(['NOTES.txt', '_helpers.tpl']));
  });

  it.each(templates.map((t) => [t.name, t.text]))('%s has balanced delimiters and blocks', (_name, text) => {
    expect(templateProblems(text)).toEqual([]);
  });

  it.each(manifests.map((t) => [t.name, t.text]))('%s still has apiVersion and kind without its actions', (_name, text) => {
    const bare = stripComments(text).replace(/\{\{[\s\S]*?\}\}/g, '');
    expect(bare).toMatch(/^apiVersion:\s*\S+/m);
    expect(bare).toMatch(/^kind:\s*\S+/m);
  });

  it('read only values that values.yaml defines', () => {
    const missing = templates.flatMap((t) => valuePaths(t.text).filter((p) => !existsIn(values, p)).map((p) => `${t.name}: .Values.${p}`));
    expect(missing).toEqual([]);
  });

  it('use every value that values.yaml defines', () => {
    const used = templates.flatMap((t) => valuePaths(t.text));
    const unused = leafPaths(values).filter((leaf) => !used.some((p) => leaf === p || leaf.startsWith(p + '.')));
    expect(unused).toEqual([]);
  });

  it('harden the pods, probe the service and drain before SIGKILL', () => {
    const helpers = templates.find((t) => t.name === '_helpers.tpl')?.text ?? '';
    const deployment = templates.find((t) => t.name === 'deployment.yaml')?.text ?? '';
    for (const line of ['runAsNonRoot: true', 'readOnlyRootFilesystem: true', 'allowPrivilegeEscalation: false', '- ALL', 'type: RuntimeDefault']) {
      expect(helpers).toContain(line);
    }
    expect(deployment).toMatch(/maxUnavailable: 0\b/);
    expect(deployment).toMatch(/livenessProbe:\s+httpGet:\s+path: \/healthz/);
    expect(deployment).toMatch(/readinessProbe:\s+httpGet:\s+path: \/readyz/);
    expect(deployment).toMatch(/startupProbe:/);
    expect(deployment).toMatch(/include "identity-service\.validate"/);
    const grace = values.terminationGracePeriodSeconds as number;
    const config = values.config as Values;
    expect(grace * 1000).toBeGreaterThan((config.shutdownDelayMs as number) + (config.shutdownGraceMs as number));
  });

  it('set only variables the service reads, with its defaults for the HTTP timeouts', () => {
    const configMap = templates.find((t) => t.name === 'configmap.yaml')?.text ?? '';
    const names = [...configMap.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!);
    // NODE_OPTIONS is Node's own.
    expect(names.filter((name) => name !== 'NODE_OPTIONS' && !(name in envSchema.properties))).toEqual([]);
    const config = values.config as Values;
    const { properties } = envSchema;
    expect([config.requestTimeoutMs, config.headersTimeoutMs, config.keepAliveTimeoutMs]).toEqual([
      properties.HTTP_REQUEST_TIMEOUT_MS.default,
      properties.HTTP_HEADERS_TIMEOUT_MS.default,
      properties.HTTP_KEEP_ALIVE_TIMEOUT_MS.default,
    ]);
    expect(configMap).toContain('HTTP_REQUEST_TIMEOUT_MS: {{ .Values.config.requestTimeoutMs');
  });

  it('run the migrations as a pre-install,pre-upgrade hook', () => {
    const job = templates.find((t) => t.name === 'migration-job.yaml')?.text ?? '';
    expect(job).toMatch(/"helm\.sh\/hook": pre-install,pre-upgrade/);
    expect(job).toContain('dist/src/cli/migrate.js');
  });
});

describe('the chart README', () => {
  const readme = read(path.join(chartDir, 'README.md'));

  it('lists every value', () => {
    const unlisted = leafPaths(values).filter((leaf) => !readme.includes(`| \`${leaf}\` |`));
    expect(unlisted).toEqual([]);
  });

  it('shows the secrets to create and a helm install', () => {
    expect(readme).toMatch(/kubectl .*create secret generic/);
    expect(readme).toMatch(/helm install /);
  });
});

describe('Dockerfile', () => {
  it('builds a production, non-root, secret-free runtime image', () => {
    expect(dockerfileProblems(read(path.join(root, 'Dockerfile')))).toEqual([]);
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignored = read(path.join(root, '.dockerignore')).split(/\r?\n/).map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.git', '.env', 'data']));
  });
});

// The checks above are hand-written parsers: prove that each one can fail.
describe('the checks themselves', () => {
  it('catch broken templates', () => {
    expect(templateProblems('{{ if .Values.a }}x')).not.toEqual([]);
    expect(templateProblems('{{ .Values.a }')).not.toEqual([]);
    expect(templateProblems('x }}')).not.toEqual([]);
    expect(templateProblems('{{ end }}')).not.toEqual([]);
    expect(templateProblems('{{/* {{ if */}}{{- range .Values.a }}{{ . }}{{- end }}')).toEqual([]);
  });

  it('catch a value path that values.yaml lacks', () => {
    expect(valuePaths('{{ $.Values.image.repository }} {{ .Values.image.nope | quote }}')).toEqual(['image.repository', 'image.nope']);
    expect(existsIn(values, 'image.repository')).toBe(true);
    expect(existsIn(values, 'image.nope')).toBe(false);
    expect(existsIn(values, 'image.repository.deeper')).toBe(false);
  });

  it('catch a bad Dockerfile', () => {
    const good = read(path.join(root, 'Dockerfile'));
    expect(dockerfileProblems(good.replace(/^USER .*$/m, 'USER root'))).not.toEqual([]);
    expect(dockerfileProblems(good.replace(/^USER .*$/m, 'USER 0'))).not.toEqual([]);
    expect(dockerfileProblems(good.replace('--omit=dev', ''))).not.toEqual([]);
    expect(dockerfileProblems(good.replace('NODE_ENV=production', 'NODE_ENV=development'))).not.toEqual([]);
    expect(dockerfileProblems(good + '\nARG DB_PASSWORD\n')).not.toEqual([]);
    expect(dockerfileProblems(good + '\nENV KEY_ENCRYPTION_KEY=abc\n')).not.toEqual([]);
    expect(dockerfileProblems(good.replace(/^CMD .*$/m, 'CMD npm start'))).not.toEqual([]);
  });
});

const onPath = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const missingTools = ['helm', 'kubeconform'].filter((bin) => !onPath(bin));
if (missingTools.length) {
  console.log(`helm-chart.test: skipped helm lint and kubeconform: ${missingTools.join(' and ')} not on PATH`);
}

describe('helm and kubeconform', () => {
  const required = ['--set', 'config.issuer=https://id.example.com'];
  const everything = [
    ...required,
    '--set', 'secrets.redis.name=identity-service-redis',
    '--set', 'autoscaling.enabled=true',
    '--set', 'networkPolicy.enabled=true',
    '--set', 'networkPolicy.egress[0].ports[0].port=5432',
    '--set', 'serviceMonitor.enabled=true',
  ];
  const run = (cmd: string, args: string[], input?: string) => {
    const result = spawnSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 16 * 1024 * 1024 });
    return { ok: result.status === 0, out: `${result.stdout ?? ''}${result.stderr ?? ''}`, stdout: result.stdout ?? '' };
  };

  it.skipIf(missingTools.length > 0)('helm lint and helm template | kubeconform -strict pass', () => {
    for (const extra of [required, everything]) {
      const lint = run('helm', ['lint', chartDir, ...extra]);
      expect(lint.ok, lint.out).toBe(true);
      const rendered = run('helm', ['template', 'identity', chartDir, '--namespace', 'identity', ...extra]);
      expect(rendered.ok, rendered.out).toBe(true);
      // ServiceMonitor is a CRD that kubeconform's built-in schemas lack.
      const checked = run('kubeconform', ['-strict', '-summary', '-skip', 'ServiceMonitor', '-'], rendered.stdout);
      expect(checked.ok, checked.out).toBe(true);
    }
    const refused = run('helm', ['template', 'identity', chartDir]);
    expect(refused.ok, 'an empty config.issuer must be refused').toBe(false);
  }, 120_000);
});
