// The gateway's test harness: small node:http upstreams that record what
// reached them, a port nothing listens on, and a gateway started in-process.

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startService, type Discovery, type RunningService, type StartOptions } from '@souk/chassis';
import { gatewayService } from '../src/service.ts';

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

/** Starts the gateway on a free port; `services` becomes STATIC_SERVICES unless a discovery is given. */
export async function startGateway(
  options: {
    services?: Record<string, string[]>;
    env?: Record<string, string>;
    discovery?: Discovery;
    clock?: StartOptions['clock'];
  } = {},
): Promise<RunningService> {
  const services = Object.entries(options.services ?? {})
    .map(([name, urls]) => `${name}=${urls.join(',')}`)
    .join(';');
  return startService(gatewayService, {
    env: { PORT: '0', LOG_LEVEL: 'silent', ...(services ? { STATIC_SERVICES: services } : {}), ...options.env },
    ...(options.discovery ? { discovery: options.discovery } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
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
