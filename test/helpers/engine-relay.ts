/** A relay to the Docker engine's socket, to cut the engine off from a client without stopping it. */
import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A relay between a client and the engine's socket, listening on `socketPath`; `each` sees every
 * connection (the client's side and the engine's). cut() closes it with every connection: to the
 * monitor, the engine going away.
 */
export async function relayEngine(
  socketPath: string,
  each: (client: Socket, upstream: Socket) => void = () => undefined,
): Promise<{ cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = createConnection('/var/run/docker.sock');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    each(client, upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => relay.listen(socketPath, r));
  return {
    async cut() {
      const closed = new Promise((r) => relay.close(r)); // resolves once every connection is gone
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
