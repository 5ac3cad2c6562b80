// TLS termination at the edge: with GATEWAY_TLS_PORT the gateway also serves HTTPS, on its own
// certificate (the devhost's dev CA issues the gateway's with localhost and 127.0.0.1 among its names),
// taking each rotated certificate for new connections as its mutual TLS does. No client certificate is
// asked for: users' browsers have none. Requests are handed to the plain listener's handler, so both
// ports serve the same gateway (proxy, limits, metrics), and upstream sees `x-forwarded-proto: https`.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServiceTls } from '@souk/chassis';

export interface EdgeTls {
  server: HttpsServer;
  /** Starts listening; resolves with the https: URL. */
  listen(host: string, port: number): Promise<string>;
  close(): Promise<void>;
}

const certificateOf = (tls: ServiceTls) => {
  const { cert, key } = tls.serverOptions();
  return { cert, key };
};

export function createEdgeTls(tls: ServiceTls, plain: Server): EdgeTls {
  // The plain server's request listeners are the chassis's instrumented handler (tracing, metrics, the proxy).
  const server = createServer({ ...certificateOf(tls) }, (req: IncomingMessage, res: ServerResponse) =>
    plain.emit('request', req, res),
  );
  const detach = tls.onRotate(() => server.setSecureContext(certificateOf(tls)));
  return {
    server,
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(`https://${host}:${(server.address() as AddressInfo).port}`);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        detach();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
