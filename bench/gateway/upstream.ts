// The benchmark's upstream: a minimal node:http server answering every request
// with a small JSON document, so that the figures measure the hop, not a service.
// It also serves BENCH_JWKS at /.well-known/jwks.json and answers token
// exchanges with a fixed internal token: standing in for identity, it lets the
// gateway check and exchange the signed token of the authenticated run.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';

const port = Number(process.env.PORT ?? 0);
const body = Buffer.from(JSON.stringify({ id: 'p-1', name: 'Mint tea', price: { amount: 450, currency: 'EUR' } }));

const jwks = Buffer.from(process.env.BENCH_JWKS ?? '{"keys":[]}');
const exchanged = Buffer.from(
  JSON.stringify({
    access_token: 'bench-internal-token',
    issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    token_type: 'Bearer',
    expires_in: 3600,
  }),
);
const answers: Record<string, Buffer> = { '/.well-known/jwks.json': jwks, '/api/v1/identity/oauth/token': exchanged };

function answer(req: IncomingMessage, res: ServerResponse): void {
  // Drain any request body so the connection stays reusable.
  req.resume();
  req.on('end', () => {
    const answer = answers[req.url ?? ''] ?? body;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
    res.end(answer);
  });
}

const server = createServer(answer);
server.keepAliveTimeout = 65_000;

// With BENCH_TLS_PORT (and the three files), also as an instance does with mTLS: HTTPS requiring a client certificate.
const tlsPort = process.env.BENCH_TLS_PORT;
const tlsServer = tlsPort
  ? createHttpsServer(
      {
        cert: readFileSync(process.env.BENCH_TLS_CERT_FILE ?? ''),
        key: readFileSync(process.env.BENCH_TLS_KEY_FILE ?? ''),
        ca: readFileSync(process.env.BENCH_TLS_CA_FILE ?? ''),
        requestCert: true,
        rejectUnauthorized: true,
        keepAliveTimeout: 65_000,
      },
      answer,
    ).listen(Number(tlsPort), '127.0.0.1')
  : undefined;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ listening: typeof address === 'object' && address ? address.port : port })}\n`);
});
// How many TLS connections the gateway opened (full handshakes and resumed): few means keep-alive held.
let handshakes = 0;
let resumed = 0;
tlsServer?.on('secureConnection', (socket: TLSSocket) => void (socket.isSessionReused() ? resumed++ : handshakes++));
process.on('SIGTERM', () => {
  if (tlsServer) process.stderr.write(`upstream: ${handshakes} full TLS handshakes, ${resumed} resumed\n`);
  tlsServer?.close();
  server.close(() => process.exit(0));
});
