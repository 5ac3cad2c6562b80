// The benchmark's upstream: a minimal node:http server answering every request
// with a small JSON document, so that the figures measure the hop, not a service.
// It also serves BENCH_JWKS at /.well-known/jwks.json and answers token
// exchanges with a fixed internal token: standing in for identity, it lets the
// gateway check and exchange the signed token of the authenticated run.

import { createServer } from 'node:http';

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

const server = createServer((req, res) => {
  // Drain any request body so the connection stays reusable.
  req.resume();
  req.on('end', () => {
    const answer = answers[req.url ?? ''] ?? body;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
    res.end(answer);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ listening: typeof address === 'object' && address ? address.port : port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
