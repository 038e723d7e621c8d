/** Faulty network paths in front of a real S3 endpoint, for retry tests. */
import http from 'node:http';
import net from 'node:net';

export interface Proxy {
  readonly endpoint: string;
  /** Requests (or connections) seen so far. */
  readonly seen: () => number;
  close(): Promise<void>;
}

/** An HTTP proxy answering the first `failures` requests with 503 SlowDown, then forwarding to `target`. */
export async function slowDownProxy(target: string, failures: number): Promise<Proxy> {
  const upstream = new URL(target);
  let seen = 0;
  const server = http.createServer((req, res) => {
    seen++;
    if (seen <= failures) {
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'content-type': 'application/xml', connection: 'close' });
        res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      });
      return;
    }
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    forward.on('error', (error) => res.destroy(error));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen: () => seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A TCP forwarder to `target` that only starts listening on `port` after `delayMs`: connections are refused until then. */
export function lateTcpProxy(target: string, port: number, delayMs: number): Proxy & { listening: Promise<void> } {
  const upstream = new URL(target);
  let seen = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    seen++;
    const server = net.connect(Number(upstream.port), upstream.hostname);
    for (const s of [client, server]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        server.destroy();
      });
    }
    client.pipe(server).pipe(client);
  });
  let timer: NodeJS.Timeout | undefined;
  const listening = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    }, delayMs);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen: () => seen,
    listening,
    close: () =>
      new Promise((resolve) => {
        clearTimeout(timer);
        for (const s of sockets) s.destroy();
        if (server.listening) server.close(() => resolve());
        else resolve();
      }),
  };
}
