// The gateway's test harness: small node:http upstreams that record what
// reached them, a port nothing listens on, a stand-in for identity's JWKS and
// token exchange, and a gateway started in-process.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import {
  ACCESS_TOKEN_TYPE,
  DEFAULT_AUDIENCE,
  DEFAULT_EXTERNAL_AUDIENCE,
  RELEASE_METADATA,
  startService,
  staticDiscovery,
  TOKEN_EXCHANGE_GRANT,
  type Discovery,
  type RunningService,
  type ServiceInstance,
  type StartOptions,
} from '@souk/chassis';
import { createTestDatabase, createTestIssuer, type TestIssuer } from '@souk/chassis/testing';
import { configService } from '../../config/src/service.ts';
import { gatewayService } from '../src/service.ts';

/** An issuer of users' tokens (the external audience the gateway accepts); the identity stand-in mints internal ones. */
export function createUserIssuer(): Promise<TestIssuer> {
  return createTestIssuer({ audience: DEFAULT_EXTERNAL_AUDIENCE });
}

export interface IdentityStandIn extends Upstream {
  /** The subject tokens exchanged, in order. */
  exchanged: string[];
  /** The X-Forwarded-For of each exchange request (the user's address, for identity's budgets). */
  exchangedFor: (string | undefined)[];
}

/**
 * Identity as far as the gateway needs it: the JWKS, and token exchange answered with an internal token of the
 * same issuer (subject, roles and scopes of the user's token, `act` not modelled). identity's own tests cover the
 * real exchange; this one lets the gateway's tests see which token went upstream. Other requests are echoed.
 */
export async function startIdentityStandIn(issuer: TestIssuer): Promise<IdentityStandIn> {
  const exchanged: string[] = [];
  const exchangedFor: (string | undefined)[] = [];
  const upstream = await startUpstream((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(issuer.jwks));
      return;
    }
    const form = req.method === 'POST' && req.url === '/api/v1/identity/oauth/token' ? parseBody(req) : undefined;
    if (form?.grant_type !== TOKEN_EXCHANGE_GRANT) return echo(req, res);
    const subject = decodeJwt(String(form.subject_token));
    exchanged.push(String(form.subject_token));
    exchangedFor.push(req.headers['x-forwarded-for'] as string | undefined);
    void issuer
      .token({
        sub: String(subject.sub),
        roles: (subject.roles as string[] | undefined) ?? [],
        scopes: typeof subject.scope === 'string' ? subject.scope.split(' ').filter(Boolean) : [],
        audience: DEFAULT_AUDIENCE,
      })
      .then((token) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ access_token: token, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: 300 }),
        );
      });
  });
  return { ...upstream, exchanged, exchangedFor };
}

/** The claims of the internal token a request reached the upstream with (failing when it carried anything else). */
export function internalTokenOf(req: Received): ReturnType<typeof decodeJwt> {
  const header = String(req.headers.authorization);
  if (!header.startsWith('Bearer ')) throw new Error(`no bearer token upstream: ${header}`);
  const claims = decodeJwt(header.slice(7));
  if (claims.aud !== DEFAULT_AUDIENCE) throw new Error(`the upstream got a token for ${String(claims.aud)}, not an internal one`);
  return claims;
}

function parseBody(req: Received): Record<string, unknown> {
  const text = req.body.toString();
  return String(req.headers['content-type']).startsWith('application/json')
    ? (JSON.parse(text) as Record<string, unknown>)
    : Object.fromEntries(new URLSearchParams(text));
}

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Upstream {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

export type UpstreamHandler = (req: Received, res: ServerResponse) => void;

/** Answers 200 with a JSON echo of what arrived. */
export const echo: UpstreamHandler = (req, res) => {
  const body = JSON.stringify({ method: req.method, url: req.url, body: req.body.toString() });
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
  res.end(body);
};

/** An upstream that records every request (body included) before `handler` answers it. */
export async function startUpstream(handler: UpstreamHandler = echo): Promise<Upstream> {
  const received: Received[] = [];
  const open = new Set<IncomingMessage>();
  const server = createServer((req, res) => {
    open.add(req);
    res.on('close', () => open.delete(req));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on which nothing listens: connecting is refused. */
export async function closedPortUrl(): Promise<string> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/**
 * Starts the gateway on a free port; `services` becomes STATIC_SERVICES unless a discovery is given. It gets
 * client credentials of its own (a secret file in a temporary folder, removed when it stops), which the
 * token exchange needs. With `issuer`, users' tokens are checked with that issuer's keys and, unless `services`
 * names an identity, a stand-in identity answers the exchanges (`gateway.identity`).
 */
export async function startGateway(
  options: {
    services?: Record<string, string[]>;
    env?: Record<string, string>;
    discovery?: Discovery;
    clock?: StartOptions['clock'];
    issuer?: TestIssuer;
    /** The gateway's own token (reading a feed), instead of client credentials at identity. */
    serviceToken?: StartOptions['serviceToken'];
    /** Releases of instances by URL (registry metadata `release`), for canary and blue/green routing. */
    releases?: Record<string, string>;
  } = {},
): Promise<RunningService & { identity?: IdentityStandIn }> {
  const standIn = options.issuer && !options.services?.identity ? await startIdentityStandIn(options.issuer) : undefined;
  const all = { ...options.services, ...(standIn ? { identity: [standIn.url] } : {}) };
  const services = Object.entries(all)
    .map(([name, urls]) => `${name}=${urls.join(',')}`)
    .join(';');
  const dir = await mkdtemp(join(tmpdir(), 'gateway-test-'));
  const secretFile = join(dir, 'client-secret');
  await writeFile(secretFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const gateway = await startService(gatewayService, {
    env: {
      PORT: '0',
      LOG_LEVEL: 'silent',
      SERVICE_CLIENT_ID: 'svc-gateway',
      SERVICE_CLIENT_SECRET_FILE: secretFile,
      // Off unless a test turns it on: it would read catalog's feed from the stand-in upstreams.
      GATEWAY_RESPONSE_CACHE: 'off',
      ...(services ? { STATIC_SERVICES: services } : {}),
      ...options.env,
    },
    ...(options.discovery
      ? { discovery: options.discovery }
      : options.releases
        ? { discovery: withReleases(staticDiscovery(all), options.releases) }
        : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.serviceToken ? { serviceToken: options.serviceToken } : {}),
  });
  if (options.issuer) gateway.ctx.auth.setKeySource(options.issuer.keySource);
  const stop = gateway.stop.bind(gateway);
  return Object.assign(gateway, {
    ...(standIn ? { identity: standIn } : {}),
    stop: async () => {
      await stop();
      await standIn?.close();
      await rm(dir, { recursive: true, force: true });
    },
  });
}

/** Static discovery whose instances carry the release given for their URL. */
function withReleases(base: Discovery, releases: Record<string, string>): Discovery {
  const lists = new Map<string, readonly ServiceInstance[]>();
  return {
    ...base,
    instances(service) {
      let list = lists.get(service);
      if (list === undefined) {
        list = Object.freeze(
          base.instances(service).map((i) => {
            const release = releases[i.url];
            return release === undefined ? i : { ...i, metadata: { ...i.metadata, [RELEASE_METADATA]: release } };
          }),
        );
        lists.set(service, list);
      }
      return list;
    },
  };
}

export interface Problem {
  type: string;
  code: string;
  status: number;
  title: string;
  detail: string;
  instance?: string;
  traceId?: string;
  [k: string]: unknown;
}

/** Reads a problem+json answer, failing when the content type is not that. */
export async function problemOf(res: Response): Promise<Problem> {
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('application/problem+json')) throw new Error(`expected problem+json, got ${type}: ${await res.text()}`);
  return (await res.json()) as Problem;
}

/**
 * A request through node:http, for what fetch refuses or rewrites: hop-by-hop
 * headers and paths with dot segments.
 */
export async function rawRequest(
  base: string,
  options: { method?: string; path: string; headers?: Record<string, string> },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    // host/port/path given apart: a URL string would have its dot segments resolved.
    const req = request(
      { hostname, port, path: options.path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** An upstream standing in for one release of a service: 200 with the release in `x-release` and the body. */
export function releaseAnswer(release: string): UpstreamHandler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-release': release });
    res.end(JSON.stringify({ items: [], release }));
  };
}

export interface ConfigServer {
  url: string;
  /** Admins' tokens and service tokens the config server accepts (the internal audience). */
  issuer: TestIssuer;
  /** An admin's token, for changes. */
  admin(): Promise<string>;
  close(): Promise<void>;
}

/** A real config server on a database of its own, trusting a test issuer of its own. */
export async function startConfigServer(label: string): Promise<ConfigServer> {
  const database = await createTestDatabase(label);
  const issuer = await createTestIssuer();
  const config = await startService(configService, { env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent', PORT: '0' } });
  config.ctx.auth.setKeySource(issuer.keySource);
  return {
    url: config.url,
    issuer,
    admin: () => issuer.token({ sub: 'u-admin', email: 'ops@souk.local', roles: ['admin'] }),
    close: async () => {
      await config.stop();
      await database.drop();
    },
  };
}
