import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import autocannon from 'autocannon';
import { sampleRss } from './service.js';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Rebuilds the request before each send (a fresh refresh token, the next user). */
  setup?: (request: { method: string; path: string; headers: Record<string, string>; body?: string }) => { headers?: Record<string, string>; body?: string } | undefined;
  /** Sees every response body (costs the load generator a copy of each body). */
  onResponse?: (status: number, body: string) => void;
  /**
   * A sequence of requests on one connection, each built from what the
   * earlier ones kept (the code of a redirect), counted as one request; the
   * fields above are then unused.
   */
  flow?: FlowStep[];
}

export type FlowContext = Record<string, string>;

export interface FlowStep {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  setup?: (context: FlowContext) => { path?: string; headers?: Record<string, string>; body?: string };
  onResponse?: (status: number, headers: Record<string, string | string[] | undefined>, context: FlowContext) => void;
  /** The status of a working answer when it is not 2xx (a redirect). */
  expects?: number;
}

const worked = (step: FlowStep, status: number) => (step.expects === undefined ? status >= 200 && status < 300 : status === step.expects);

export interface LoadSettings {
  connections: number;
  durationSec: number;
  warmupSec: number;
}

export interface LoadResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Highest RSS of `pid` seen while the load ran. */
  peakRssMb?: number;
  /** CPU time `pid` spent per completed request (µs), and the cores it kept busy on average. */
  cpuUsPerRequest?: number;
  cpuCores?: number;
  /** CPU time all PostgreSQL processes spent per request (µs). */
  postgresCpuUsPerRequest?: number;
  /** The whole machine's cores kept busy on average (every process), and those the hypervisor took away (steal). */
  host?: HostCpu;
}

/** Drives one request shape at a URL with autocannon's programmatic API; warm-up requests are not counted. */
export async function drive(baseUrl: string, request: LoadRequest, settings: LoadSettings, pid?: number): Promise<LoadResult> {
  const headers = { ...request.headers };
  const requests: autocannon.Request[] = [
    {
      method: request.method,
      path: request.path,
      headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      ...(request.setup
        ? {
            setupRequest: (req: autocannon.Request) => {
              const next = request.setup?.({ method: request.method, path: request.path, headers, ...(request.body === undefined ? {} : { body: request.body }) });
              return next ? ({ ...req, ...next } as autocannon.Request) : req;
            },
          }
        : {}),
      ...(request.onResponse ? { onResponse: (status: number, body: string) => request.onResponse?.(status, body) } : {}),
    },
  ];
  const steps = request.flow?.length ?? 1;
  const options: autocannon.Options = {
    url: baseUrl,
    connections: settings.connections,
    duration: settings.durationSec,
    pipelining: 1,
    timeout: 10,
    requests: request.flow ? request.flow.map(flowRequest) : requests,
  };
  const rss = pid === undefined ? undefined : sampleRss(pid);
  // Let the JIT and the connection pools settle first; those requests are not counted.
  if (settings.warmupSec > 0) await autocannon({ ...options, duration: settings.warmupSec });
  const cpuBefore = pid === undefined ? undefined : cpuSeconds(pid);
  const databaseBefore = postgresCpu();
  const hostBefore = hostCpuTicks();
  const result = await autocannon(options);
  const cpuAfter = pid === undefined ? undefined : cpuSeconds(pid);
  const databaseSeconds = postgresCpuSince(databaseBefore);
  const host = hostCpuSince(hostBefore, result.duration);
  const peakRssMb = rss?.stop();
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  // A flow's redirects are its working answers: only other statuses count as failures.
  const expected = new Set((request.flow ?? []).map((step) => step.expects).filter((status) => status !== undefined));
  const non2xx = request.flow ? Object.entries(statusCodes).reduce((sum, [code, count]) => (Number(code) >= 300 && !expected.has(Number(code)) ? sum + count : sum), 0) : result.non2xx;
  const total = result.requests.total / steps;
  return {
    reqPerSec: result.requests.average / steps,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total,
    non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    ...(peakRssMb === undefined ? {} : { peakRssMb }),
    ...(cpuBefore === undefined || cpuAfter === undefined || total === 0
      ? {}
      : { cpuUsPerRequest: ((cpuAfter - cpuBefore) * 1e6) / total, cpuCores: (cpuAfter - cpuBefore) / result.duration }),
    ...(total === 0 ? {} : { postgresCpuUsPerRequest: (databaseSeconds * 1e6) / total }),
    ...(host ? { host } : {}),
  };
}

/** A flow step as autocannon runs it: built from, and answering into, the connection's context. */
function flowRequest(step: FlowStep): autocannon.Request {
  return {
    method: step.method,
    path: step.path,
    headers: { ...step.headers },
    setupRequest: (req: autocannon.Request, context: FlowContext) => {
      const built = step.setup?.(context);
      return { ...req, ...built, headers: { ...req.headers, ...built?.headers } } as autocannon.Request;
    },
    onResponse: (status: number, _body: string, context: FlowContext, headers: Record<string, string>) => step.onResponse?.(status, headers, context),
  } as autocannon.Request;
}

/** Runs a flow's steps once, in order, through `send`; answers the first failing step's status and body, if any. */
async function runFlow(
  steps: FlowStep[],
  send: (step: FlowStep, built: ReturnType<NonNullable<FlowStep['setup']>> | undefined) => Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>,
): Promise<{ status: number; body: string } | undefined> {
  const context: FlowContext = {};
  for (const step of steps) {
    const answer = await send(step, step.setup?.(context));
    step.onResponse?.(answer.status, answer.headers, context);
    if (!worked(step, answer.status)) return { status: answer.status, body: answer.text.slice(0, 300) };
  }
  return undefined;
}

export interface HostCpu {
  busyCores: number;
  stealCores: number;
}

/** The machine's CPU time so far from /proc/stat's first line, in clock ticks: busy (user to softirq) and steal. */
function hostCpuTicks(): { busy: number; steal: number } | undefined {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { busy: user! + nice! + system! + irq! + softirq!, steal: steal! };
  } catch {
    return undefined;
  }
}

/**
 * Cores busy on average since `before`: when they reach the machine's count, no
 * setting of the service can serve more without less CPU per request.
 */
function hostCpuSince(before: ReturnType<typeof hostCpuTicks>, durationSec: number): HostCpu | undefined {
  const after = hostCpuTicks();
  if (!before || !after || durationSec <= 0) return undefined;
  const cores = (ticks: number) => ticks / CLOCK_TICKS / durationSec;
  return { busyCores: cores(after.busy - before.busy), stealCores: cores(after.steal - before.steal) };
}

/** CPU time of each PostgreSQL process on the machine (other users of the server count too: a figure for a quiet machine). */
export function postgresCpu(): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      seconds.set(Number(entry), cpuSeconds(Number(entry)) ?? 0);
    } catch {
      // the process ended meanwhile
    }
  }
  return seconds;
}

/** CPU seconds PostgreSQL spent between two samples (a backend that started in between counts whole; one that ended is lost). */
export function postgresCpuSince(before: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of postgresCpu()) total += Math.max(0, seconds - (before.get(pid) ?? 0));
  return total;
}

const CLOCK_TICKS = 100;

/** User plus system CPU time a process has used, in seconds (/proc/<pid>/stat, in clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** One request with fetch before the load: a scenario that fails here is broken, and its answer says why. */
export async function preflight(baseUrl: string, request: LoadRequest, accepts?: (body: string) => boolean): Promise<{ ok: true } | { ok: false; status: number; body: string }> {
  if (request.flow) {
    const failed = await runFlow(request.flow, async (step, built) => {
      const response = await fetch(`${baseUrl}${built?.path ?? step.path}`, {
        method: step.method,
        headers: { ...step.headers, ...built?.headers },
        ...(built?.body === undefined ? {} : { body: built.body }),
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, headers: Object.fromEntries(response.headers), text: await response.text() };
    });
    return failed ? { ok: false, ...failed } : { ok: true };
  }
  const built = request.setup?.({ method: request.method, path: request.path, headers: { ...request.headers }, ...(request.body === undefined ? {} : { body: request.body }) });
  const headers = { ...request.headers, ...built?.headers };
  const body = built?.body ?? request.body;
  const response = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers,
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return response.status >= 200 && response.status < 300 && (accepts?.(text) ?? true) ? { ok: true } : { ok: false, status: response.status, body: text.slice(0, 300) };
}

/**
 * Unloaded latency with microsecond resolution (autocannon reports whole
 * milliseconds): `count` requests one after another on one kept-alive connection.
 */
export async function sequentialLatency(baseUrl: string, request: LoadRequest, count: number): Promise<{ p50Ms: number; p99Ms: number; failures: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(baseUrl);
  const samples: number[] = [];
  let failures = 0;
  const send = (method: string, path: string, headers: Record<string, string>, body: string | undefined) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
      const req = http.request({ agent, host: url.hostname, port: url.port, method, path, headers }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: data }));
      });
      req.on('error', reject);
      req.end(body);
    });
  try {
    for (let i = 0; i < count; i += 1) {
      if (request.flow) {
        const started = process.hrtime.bigint();
        const failed = await runFlow(request.flow, (step, built) => send(step.method, built?.path ?? step.path, { ...step.headers, ...built?.headers }, built?.body));
        samples.push(Number(process.hrtime.bigint() - started) / 1e6);
        if (failed) failures += 1;
        continue;
      }
      const built = request.setup?.({ method: request.method, path: request.path, headers: { ...request.headers }, ...(request.body === undefined ? {} : { body: request.body }) });
      const headers = { ...request.headers, ...built?.headers };
      const body = built?.body ?? request.body;
      const started = process.hrtime.bigint();
      const { status, text } = await send(request.method, request.path, headers, body);
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (status < 200 || status >= 300) failures += 1;
      request.onResponse?.(status, text);
    }
  } finally {
    agent.destroy();
  }
  samples.sort((a, b) => a - b);
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor((samples.length * p) / 100))] ?? 0;
  return { p50Ms: at(50), p99Ms: at(99), failures };
}
