/**
 * The warm-up's target: a plain TCP server on 127.0.0.1 (a free port) inside this process that
 * answers every HTTP/1.1 request `200` with an empty body, so that the HTTP platform's send path
 * runs before time zero without reaching the platform under test (HttpPlatform.warm()). It reads
 * heads and content-length bodies only (what h1.ts writes), far cheaper than node:http, since it
 * shares faasload's thread during the warm-up. Anything else closes the connection.
 */
import { createServer, type Socket } from 'node:net';

export interface WarmTarget {
  /** http://127.0.0.1:PORT */
  origin: string;
  close(): Promise<void>;
}

const ANSWER = 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n';
const HEAD_LIMIT_BYTES = 64 * 1024;
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

function answerRequests(socket: Socket): void {
  let buf: Buffer = Buffer.alloc(0);
  socket.on('error', () => undefined);
  socket.on('data', (d: Buffer) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > HEAD_LIMIT_BYTES) socket.destroy();
        return;
      }
      const length = Number(CONTENT_LENGTH.exec(buf.toString('latin1', 0, end))?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      buf = buf.subarray(end + 4 + length);
      socket.write(ANSWER, 'latin1');
    }
  });
}

export async function startWarmTarget(): Promise<WarmTarget> {
  const sockets = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    answerRequests(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
