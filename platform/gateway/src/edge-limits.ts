// Limits of the gateway's public listener against slow and greedy clients:
// header and request timeouts well below Node's (60 s / 300 s), a short
// keep-alive, and caps on open connections per address and in all. Per
// connection, never per request: the hot path pays nothing for them.

import type { Server } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import { PROBLEM_CONTENT_TYPE, toProblem } from '@souk/chassis';
import { gatewayErrors } from './errors.ts';

export interface EdgeLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnectionsPerIp: number;
  maxConnections: number;
}

/** Node looks for expired headers and requests on a timer (30 s by default): a fraction of the timeout, at most 1 s. */
const MAX_CHECK_INTERVAL_MS = 1_000;
const MIN_CHECK_INTERVAL_MS = 100;

/** Sent to a connection past the per-address cap before it is closed (no request was read: no instance, no trace id). */
function tooManyConnectionsResponse(): string {
  const err = gatewayErrors.tooManyConnections({
    detail: 'This address holds too many open connections to the gateway; reuse keep-alive connections.',
  });
  const body = JSON.stringify(toProblem(err));
  return [
    `HTTP/1.1 ${err.status} Too Many Requests`,
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(body)}`,
    'retry-after: 1',
    'connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Applies the limits to the (not yet listening) public servers: plain HTTP, and HTTPS when the gateway
 * terminates TLS (one count of connections per address over both). The timeouts are Node's own (a late
 * request gets the chassis' 408 problem and the connection closes).
 */
export function applyEdgeLimits(servers: readonly (Server | HttpsServer)[], limits: EdgeLimits, metrics: Registry): void {
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new Error(
      `GATEWAY_HEADERS_TIMEOUT_MS (${limits.headersTimeoutMs}) must not exceed GATEWAY_REQUEST_TIMEOUT_MS (${limits.requestTimeoutMs})`,
    );
  }
  for (const server of servers) {
    server.headersTimeout = limits.headersTimeoutMs;
    server.requestTimeout = limits.requestTimeoutMs;
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    server.maxConnections = limits.maxConnections;
    // Read when the server starts listening (Node ≥ 18.14): without it a 1 s timeout could take 31 s to fire.
    (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
      MIN_CHECK_INTERVAL_MS,
      Math.min(MAX_CHECK_INTERVAL_MS, Math.floor(limits.headersTimeoutMs / 4)),
    );
  }

  const refused = new Counter({
    name: 'souk_gateway_connections_refused_total',
    help: 'Client connections the gateway closed at once because their address held GATEWAY_MAX_CONNECTIONS_PER_IP.',
    registers: [metrics],
  });
  const open = new Map<string, number>();
  const response = tooManyConnectionsResponse();
  const release = (address: string) => {
    const count = (open.get(address) ?? 1) - 1;
    if (count === 0) open.delete(address);
    else open.set(address, count);
  };
  const admit = (socket: Socket, encrypted: boolean) => {
    const address = socket.remoteAddress ?? '';
    const count = open.get(address) ?? 0;
    if (count >= limits.maxConnectionsPerIp) {
      refused.inc();
      socket.on('error', () => undefined);
      // Destroyed once written: nothing this connection sends is read. Before a TLS handshake there is no
      // way to answer in HTTP: that connection is just closed.
      if (encrypted) socket.destroy();
      else socket.end(response, () => socket.destroy());
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => release(address));
  };
  for (const server of servers) {
    const encrypted = server instanceof HttpsServer;
    server.on('connection', (socket: Socket) => admit(socket, encrypted));
  }
}
