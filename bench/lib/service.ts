import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
// The server entry and free-port helper the process-level tests use, so both start the same build the same way.
import { SERVER_ENTRY, freePort } from '../../test/support/process.js';
import { spawnTracked, stopChild } from './children.js';
import { PROJECT_ROOT } from './paths.js';

export { SERVER_ENTRY };

export interface RunningService {
  child: ChildProcess;
  pid: number;
  url: string;
  /** Milliseconds from spawn to the first 200 from /readyz. */
  readyMs: number;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Starts the built service as `npm start` does (`node dist/server.mjs`), its
 * logs going to a file as they would to a container runtime, and waits for
 * readiness.
 */
export async function startService(env: Record<string, string>, logFile: string, extraNodeArgs: string[] = []): Promise<RunningService> {
  const port = await freePort();
  const fd = openSync(logFile, 'a');
  const started = performance.now();
  // BENCH_SERVER_ENTRY runs another build (an experiment copied beside dist/) against the same harness.
  const entry = process.env.BENCH_SERVER_ENTRY ?? SERVER_ENTRY;
  const child = spawnTracked(process.execPath, [...extraNodeArgs, entry], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  for (;;) {
    if (exited) throw new Error(`the service exited during start; see ${logFile}:\n${tail(logFile)}`);
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 30_000) {
      await stopChild(child);
      throw new Error(`the service was not ready within 30 s; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const readyMs = performance.now() - started;
  return { child, pid: child.pid as number, url, readyMs, logFile, stop: () => stopChild(child, 15_000) };
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

/** Reads VmRSS and VmHWM (peak resident set) of a process, in MiB. */
export function memoryOf(pid: number): { rssMb: number; hwmMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
    return { rssMb: field('VmRSS'), hwmMb: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Polls a process's RSS while a scenario runs; `stop` answers the highest value seen. */
export function sampleRss(pid: number, intervalMs = 100): { stop(): number } {
  let peak = memoryOf(pid)?.rssMb ?? 0;
  const timer = setInterval(() => {
    const rss = memoryOf(pid)?.rssMb ?? 0;
    if (rss > peak) peak = rss;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, memoryOf(pid)?.rssMb ?? 0);
    },
  };
}
