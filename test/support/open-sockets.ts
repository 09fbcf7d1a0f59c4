import type net from 'node:net';

/** The sockets a test proxy has open, so that cutting or closing it can end every one of them. */
export function openSockets() {
  const sockets = new Set<net.Socket>();
  return {
    /** Tracks the socket until it closes; its errors are expected (the tests cut connections on purpose). */
    track(socket: net.Socket): void {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    },
    destroyAll(): void {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Relays bytes both ways; either side going away takes the other with it, as a NAT'd connection would. */
export function relay(client: net.Socket, upstream: net.Socket): void {
  client.pipe(upstream).pipe(client);
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}
