/**
 * What each of the service's per-request layers costs a cheap request:
 * bench/overhead-server.ts serves a JWKS-like body behind the first N layers
 * (the service's own code), and each stage is driven in turn, alternating,
 * so the VM's drift falls on every stage alike. `npm run bench:overhead`
 * (-- --smoke: a second per stage, once).
 */
import { cleanup, installSignalHandlers, startBenchServer, stopChild } from './lib/children.js';
import { drive, type LoadResult } from './lib/load.js';
import { fmt, table } from './lib/report.js';

const STAGES = [
  'bare Fastify (the HTTP ceiling)',
  "+ the service's Fastify: logger, request ids, X-Request-Id, access log",
  '+ security headers',
  '+ metrics (latency histogram)',
];

const smoke = process.argv.includes('--smoke');
const rounds = smoke ? 1 : 3;
const settings = smoke ? { connections: 4, durationSec: 1, warmupSec: 0 } : { connections: 50, durationSec: 5, warmupSec: 1 };
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

installSignalHandlers();
try {
  const servers = await Promise.all(
    STAGES.map(async (_, stage) => {
      const { child, announced } = await startBenchServer<{ port: number }>('bench/overhead-server.ts', { STAGE: String(stage) });
      return { child, url: `http://127.0.0.1:${announced.port}`, results: [] as LoadResult[] };
    }),
  );
  console.log(`per-request layers: ${rounds} round(s) of ${settings.durationSec} s per stage at ${settings.connections} connections, stages alternating`);
  for (let round = 0; round < rounds; round++) {
    for (const server of servers) {
      const result = await drive(server.url, { method: 'GET', path: '/jwks' }, settings, server.child.pid);
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.url}/jwks failed: ${JSON.stringify(result.statusCodes)}, ${result.errors} errors`);
      server.results.push(result);
    }
  }
  const rows = [['stage', 'req/s', 'CPU µs/req', 'added µs/req', 'of bare req/s']];
  let previous: number | undefined;
  const bare = median(servers[0]!.results.map((r) => r.reqPerSec));
  servers.forEach((server, stage) => {
    const perSec = median(server.results.map((r) => r.reqPerSec));
    const cpu = median(server.results.map((r) => r.cpuUsPerRequest ?? 0));
    rows.push([STAGES[stage]!, fmt(perSec), fmt(cpu), previous === undefined ? '–' : fmt(cpu - previous), fmt(perSec / bare, 2)]);
    previous = cpu;
  });
  console.log(table(rows));
  await Promise.all(servers.map((server) => stopChild(server.child)));
} finally {
  await cleanup();
}
