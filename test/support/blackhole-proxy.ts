import net from 'node:net';
import { openSockets } from './open-sockets.js';

/**
 * A TCP proxy that can drop packets instead of closing connections: the
 * network partition (or failover) where a database stops answering without
 * any error, which only timeouts can detect. Unlike the cut of tcp-proxy.ts,
 * nothing is closed: connections just go silent.
 */
export interface BlackholeProxy {
  port: number;
  /** Every connection, open or new, goes silent: nothing is forwarded and nothing is closed. */
  blackhole(): void;
  /**
   * Failover: new connections reach the target again, and the server forgets
   * the connections that went silent (their sessions end, their locks go),
   * while the client's ends of them stay silent for good: only a client that
   * drops them recovers.
   */
  restore(): void;
  close(): Promise<void>;
}

export async function startBlackholeProxy(target: { host: string; port: number }): Promise<BlackholeProxy> {
  let silent = false;
  const sockets = openSockets();
  type Pair = { client: net.Socket; upstream: net.Socket };
  const live = new Set<Pair>();
  const silenced = new Set<Pair>();

  const server = net.createServer((client) => {
    sockets.track(client);
    // While silent, a new connection is accepted and then ignored: the client's connect timeout must fire.
    if (silent) return client.pause();
    const upstream = net.connect(target.port, target.host);
    sockets.track(upstream);
    const pair: Pair = { client, upstream };
    live.add(pair);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('close', () => {
      live.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => {
      live.delete(pair);
      // A silenced connection's client end learns nothing, not even that the server went away.
      if (!silenced.has(pair)) client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as net.AddressInfo).port,
    blackhole() {
      silent = true;
      for (const { client, upstream } of live) {
        // Forwarding stops both ways, and neither side learns of it.
        client.removeAllListeners('data');
        upstream.removeAllListeners('data');
        client.pause();
        upstream.pause();
      }
      for (const pair of live) silenced.add(pair);
      live.clear();
    },
    restore() {
      silent = false;
      for (const { upstream } of silenced) upstream.destroy();
    },
    close() {
      sockets.destroyAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
