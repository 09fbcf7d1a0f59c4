import http from 'node:http';
import net from 'node:net';
import { openSockets, relay } from './open-sockets.js';

/**
 * A tiny TCP load balancer for the deployment suites, behaving like a
 * Kubernetes Service in front of replicas: new connections go round-robin to
 * the backends whose readiness probe (`GET /readyz`) last answered 200;
 * established connections stay where they are. Connecting to a backend that
 * is gone resets the client, as a stale endpoint would.
 */
export interface Balancer {
  url: string;
  /** Whether the last probe of each backend (by port) answered 200. */
  ready(port: number): boolean;
  /** Connections forwarded to each backend port so far. */
  forwarded: Map<number, number>;
  /** Client connections refused because no backend was ready. */
  refused(): number;
  close(): Promise<void>;
}

export async function startBalancer(ports: number[], options: { probeIntervalMs?: number } = {}): Promise<Balancer> {
  const probeIntervalMs = options.probeIntervalMs ?? 100;
  const readiness = new Map(ports.map((port) => [port, false]));
  const forwarded = new Map(ports.map((port) => [port, 0]));
  const sockets = openSockets();
  let next = 0;
  let refused = 0;
  let closed = false;

  const probe = (port: number) =>
    new Promise<boolean>((resolve) => {
      const request = http.get({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 500 }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      });
      request.on('timeout', () => request.destroy());
      request.on('error', () => resolve(false));
    });
  const probeAll = async () => {
    await Promise.all(ports.map(async (port) => readiness.set(port, await probe(port))));
  };
  await probeAll();
  let probing = false;
  const timer = setInterval(() => {
    if (probing || closed) return;
    probing = true;
    void probeAll().finally(() => (probing = false));
  }, probeIntervalMs);

  const server = net.createServer((client) => {
    sockets.track(client);
    const candidates = ports.filter((port) => readiness.get(port));
    if (candidates.length === 0) {
      refused += 1;
      return client.destroy();
    }
    const port = candidates[next++ % candidates.length]!;
    forwarded.set(port, (forwarded.get(port) ?? 0) + 1);
    const upstream = net.connect(port, '127.0.0.1');
    sockets.track(upstream);
    relay(client, upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    ready: (port) => readiness.get(port) === true,
    forwarded,
    refused: () => refused,
    async close() {
      closed = true;
      clearInterval(timer);
      sockets.destroyAll();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
