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
}

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
  const options: autocannon.Options = {
    url: baseUrl,
    connections: settings.connections,
    duration: settings.durationSec,
    pipelining: 1,
    timeout: 10,
    requests,
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
  return {
    reqPerSec: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    ...(peakRssMb === undefined ? {} : { peakRssMb }),
    ...(cpuBefore === undefined || cpuAfter === undefined || result.requests.total === 0
      ? {}
      : { cpuUsPerRequest: ((cpuAfter - cpuBefore) * 1e6) / result.requests.total, cpuCores: (cpuAfter - cpuBefore) / result.duration }),
    ...(result.requests.total === 0 ? {} : { postgresCpuUsPerRequest: (databaseSeconds * 1e6) / result.requests.total }),
    ...(host ? { host } : {}),
  };
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
  try {
    for (let i = 0; i < count; i += 1) {
      const built = request.setup?.({ method: request.method, path: request.path, headers: { ...request.headers }, ...(request.body === undefined ? {} : { body: request.body }) });
      const headers = { ...request.headers, ...built?.headers };
      const body = built?.body ?? request.body;
      const started = process.hrtime.bigint();
      const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request({ agent, host: url.hostname, port: url.port, method: request.method, path: request.path, headers }, (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (data += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: data }));
        });
        req.on('error', reject);
        req.end(body);
      });
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
