import type { LoadResult } from './load.js';

export interface TargetCheck {
  readonly label: string;
  readonly met: boolean;
}

export interface ScenarioOutcome {
  id: number;
  name: string;
  route: string;
  status: 'ok' | 'skipped' | 'broken';
  reason?: string;
  connections?: number;
  result?: LoadResult;
  /** Latency of the same request sent alone, one after another, after the load (microsecond resolution). */
  alone?: { p50Ms: number; p99Ms: number };
  /** For scenarios measured in operations rather than HTTP requests (offline verification). */
  opsPerSec?: number;
  detail?: Record<string, number>;
  memory?: { rssMb: number; heapTotalMb: number; heapUsedMb: number; externalMb: number };
  ceiling?: { name: string; value: number };
  ratio?: number;
  targets: TargetCheck[];
}

/** A figure for the tables: grouped thousands, `digits` decimals, `–` when there is none. */
export const fmt = (value: number | undefined, digits = 0) =>
  value === undefined || Number.isNaN(value) ? '–' : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** autocannon's latencies are whole milliseconds: 0 means under one. */
export const formatMs = (value: number | undefined) =>
  value === undefined ? '–' : value === 0 ? '<1' : value < 10 ? fmt(value, 2) : value < 100 ? fmt(value, 1) : fmt(value, 0);

/** A plain text table: first row is the header; columns after the first are right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const line = (row: string[]) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  return [line(rows[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The same table as Markdown, for the README. */
export function markdownTable(rows: string[][]): string {
  const [header = [], ...body] = rows;
  // Right-align the columns that hold figures only.
  const numeric = header.map((_, i) => i > 0 && body.every((row) => /^[<≥]?[\d.,–-]*$/.test(row[i] ?? '')));
  return [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (numeric[i] ? '---:' : '---')).join(' | ')} |`, ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

export function scenarioRows(outcomes: readonly ScenarioOutcome[]): string[][] {
  const rows = [['scenario', 'req/s', 'p50 ms', 'p99 ms', 'alone p50/p99 ms', 'non-2xx', 'CPU µs/req', 'PG CPU µs/req', 'host cores busy (steal)', 'peak RSS MB', 'ceiling', 'ratio', 'targets']];
  for (const o of outcomes) {
    const name = `${o.id} ${o.name}${o.connections ? ` (c=${o.connections})` : ''}`;
    if (o.status !== 'ok') {
      rows.push([name, o.status === 'skipped' ? `skipped: ${o.reason ?? ''}` : `BROKEN: ${o.reason ?? ''}`, ...Array<string>(rows[0]!.length - 2).fill('')]);
      continue;
    }
    const targets = o.targets.length === 0 ? '' : o.targets.map((t) => `${t.met ? 'ok' : 'MISSED'} ${t.label}`).join('; ');
    rows.push([
      name,
      fmt(o.result?.reqPerSec ?? o.opsPerSec),
      formatMs(o.result?.p50Ms),
      formatMs(o.result?.p99Ms),
      o.alone ? `${formatMs(o.alone.p50Ms)} / ${formatMs(o.alone.p99Ms)}` : '–',
      o.result ? String(o.result.non2xx + o.result.errors + o.result.timeouts) : '–',
      o.result?.cpuUsPerRequest === undefined ? '–' : fmt(o.result.cpuUsPerRequest),
      o.result?.postgresCpuUsPerRequest === undefined ? '–' : fmt(o.result.postgresCpuUsPerRequest),
      o.result?.host === undefined ? '–' : `${fmt(o.result.host.busyCores, 2)} (${fmt(o.result.host.stealCores, 2)})`,
      o.result?.peakRssMb === undefined ? '–' : fmt(o.result.peakRssMb),
      o.ceiling ? `${o.ceiling.name} ${fmt(o.ceiling.value)}` : '–',
      o.ratio === undefined ? '–' : fmt(o.ratio, 2),
      targets,
    ]);
  }
  return rows;
}
