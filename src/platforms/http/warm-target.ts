/**
 * The warm-up's target: an HTTP/1.1 server on 127.0.0.1 (a free port) inside this process that
 * reads each request whole and answers 200 with an empty body, so that the HTTP platform's send
 * path runs before time zero without reaching the platform under test (HttpPlatform.warm()).
 */
import { createServer } from 'node:http';

export interface WarmTarget {
  /** http://127.0.0.1:PORT */
  origin: string;
  close(): Promise<void>;
}

export async function startWarmTarget(): Promise<WarmTarget> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-length': '0' }).end());
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
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
