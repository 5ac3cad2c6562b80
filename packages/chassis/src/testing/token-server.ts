// identity's two endpoints a service uses, served from a test issuer over HTTP,
// for services a test runs as child processes (they find `identity` through
// STATIC_SERVICES and take the same code path as in production): the key set
// that verifies callers' tokens, and client_credentials tokens carrying the
// scopes granted to each client, refused for a wrong secret or an ungranted scope.

import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestIssuer } from './issuer.ts';

export interface TestClient {
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
}

export interface TokenServer {
  url: string;
  close(): Promise<void>;
}

const TOKEN_PATH = '/api/v1/identity/oauth/token';
const JWKS_PATH = '/.well-known/jwks.json';

export async function startTokenServer(issuer: TestIssuer, clients: readonly TestClient[]): Promise<TokenServer> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { error: 'server_error', error_description: String(err) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === JWKS_PATH) return send(res, 200, issuer.jwks);
    if (req.method !== 'POST' || req.url !== TOKEN_PATH) return send(res, 404, { error: 'not_found' });
    const body = await readBody(req);
    const client = authenticate(req.headers.authorization);
    if (!client) return send(res, 401, { error: 'invalid_client' });
    if (body.grant_type !== 'client_credentials') return send(res, 400, { error: 'unsupported_grant_type' });
    const requested = body.scope ? body.scope.split(' ').filter(Boolean) : [...client.scopes];
    if (requested.some((s) => !client.scopes.includes(s))) return send(res, 400, { error: 'invalid_scope' });
    const token = await issuer.token({ sub: client.clientId, clientId: client.clientId, roles: [], scopes: requested });
    send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 300, scope: requested.join(' ') });
  }

  function authenticate(header: string | undefined): TestClient | undefined {
    const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
    if (!match) return undefined;
    const [id, secret] = Buffer.from(match[1]!, 'base64').toString('utf8').split(':').map(formDecode);
    const client = clients.find((c) => c.clientId === id);
    if (!client || secret === undefined) return undefined;
    const [a, b] = [Buffer.from(secret), Buffer.from(client.clientSecret)];
    return a.length === b.length && timingSafeEqual(a, b) ? client : undefined;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

const formDecode = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));

async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  if (text === '') return {};
  if ((req.headers['content-type'] ?? '').includes('application/json')) return JSON.parse(text) as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(text));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
