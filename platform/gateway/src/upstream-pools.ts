// The gateway's keep-alive connections, one pool per upstream instance: idle
// connections are reused most recent first, requests beyond the pool's size
// wait their turn, and pools of instances that left are closed.

import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { createOriginPools, serverIdentityCheck, type OriginPools, type OriginTarget, type ServiceTls } from '@souk/chassis';
import { UpstreamConnection, type ConnectionOwner, type Exchange } from './upstream-connection.ts';

export interface UpstreamPoolOptions {
  /** Most connections to one instance; requests beyond wait in the pool's queue. */
  connections: number;
  connectTimeoutMs: number;
  /**
   * An idle connection is closed after this. Below the upstream servers' keep-alive (Node's default 5 s; souk
   * services keep 65 s), so the gateway drops idle sockets first and never writes to one the server is closing.
   */
  idleTimeoutMs?: number;
}

/** Mutual TLS to `https:` instances: the gateway's certificate, and which service an origin must prove to be. */
export interface UpstreamTls {
  tls: ServiceTls;
  /** The service discovery lists at `origin` (checked against the SPIFFE id of the certificate it presents). */
  serviceOf(origin: string): string | undefined;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 4_000;

/** An exchange as the pool carries it: the connection it was given, once it has one. */
export interface PooledExchange extends Exchange {
  connection: UpstreamConnection | undefined;
}

/** The connections to one instance's origin. */
export class ConnectionPool implements ConnectionOwner {
  readonly #host: string;
  readonly #port: number;
  readonly #options: Required<UpstreamPoolOptions>;
  readonly #origin: string;
  readonly #tls: UpstreamTls | undefined;
  /** The last TLS session, resumed by the next connection (no full handshake); dropped at a rotation. */
  #session: { generation: number; session: Buffer } | undefined;
  /** Most recently released last: reused first while warm, the oldest found by the sweep at the front. */
  readonly #idle: UpstreamConnection[] = [];
  readonly #waiting: PooledExchange[] = [];
  #open = 0;
  #closing = false;
  #drained: (() => void) | undefined;

  constructor(origin: URL, options: Required<UpstreamPoolOptions>, tls?: UpstreamTls) {
    this.#host = origin.hostname;
    this.#origin = origin.origin;
    this.#tls = origin.protocol === 'https:' ? tls : undefined;
    this.#port = Number(origin.port || (this.#tls ? 443 : 80));
    this.#options = options;
  }

  /** Sends the exchange on an idle connection, a new one, or when one is free. */
  send(exchange: PooledExchange): void {
    if (this.#closing) {
      exchange.onError('connect', Object.assign(new Error('connection pool closed'), { code: 'ECONNREFUSED' }));
      return;
    }
    const idle = this.#takeIdle();
    if (idle) return this.#start(idle, exchange);
    if (this.#open < this.#options.connections) return this.#start(this.#connect(), exchange);
    this.#waiting.push(exchange);
  }

  /** Forgets an exchange still waiting for a connection (its client went away). */
  cancel(exchange: PooledExchange): void {
    const at = this.#waiting.indexOf(exchange);
    if (at !== -1) this.#waiting.splice(at, 1);
  }

  released(connection: UpstreamConnection): void {
    if (this.#closing) return connection.close();
    const next = this.#waiting.shift();
    if (next) return this.#start(connection, next);
    this.#idle.push(connection);
  }

  closed(connection: UpstreamConnection): void {
    this.#open--;
    const at = this.#idle.indexOf(connection);
    if (at !== -1) this.#idle.splice(at, 1);
    if (this.#waiting.length > 0 && !this.#closing && this.#open < this.#options.connections) {
      this.#start(this.#connect(), this.#waiting.shift()!);
    }
    if (this.#open === 0) this.#drained?.();
  }

  /** Closes connections idle since before `now - idleTimeoutMs`. */
  sweep(now: number): void {
    const limit = now - this.#options.idleTimeoutMs;
    while (this.#idle.length > 0 && this.#idle[0]!.idleSince < limit) this.#idle[0]!.close();
  }

  /** Closes idle connections now and busy ones once their answer is in; resolves when none is left. */
  close(): Promise<void> {
    this.#closing = true;
    for (const exchange of this.#waiting.splice(0)) {
      exchange.onError('connect', Object.assign(new Error('connection pool closed'), { code: 'ECONNREFUSED' }));
    }
    for (const connection of [...this.#idle]) connection.close();
    if (this.#open === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#drained = resolve));
  }

  /** Open connections (busy and idle), for tests and the admin view. */
  get size(): number {
    return this.#open;
  }

  #takeIdle(): UpstreamConnection | undefined {
    const limit = performance.now() - this.#options.idleTimeoutMs;
    for (let connection = this.#idle.pop(); connection; connection = this.#idle.pop()) {
      if (!connection.closed && connection.idleSince >= limit) return connection;
      connection.close();
    }
    return undefined;
  }

  #connect(): UpstreamConnection {
    this.#open++;
    const host = this.#host;
    const port = this.#port;
    const upstream = this.#tls;
    if (!upstream)
      return new UpstreamConnection(
        () => connectTcp({ host, port, noDelay: true }),
        'connect',
        this.#options.connectTimeoutMs,
        this,
      );
    return new UpstreamConnection(() => this.#connectTls(upstream), 'secureConnect', this.#options.connectTimeoutMs, this);
  }

  #connectTls({ tls, serviceOf }: UpstreamTls) {
    const generation = tls.generation;
    const service = serviceOf(this.#origin);
    const session = this.#session?.generation === generation ? this.#session.session : undefined;
    const socket = connectTls({
      host: this.#host,
      port: this.#port,
      secureContext: tls.clientContext(),
      ...(session ? { session } : {}),
      // An origin no longer listed by discovery cannot be checked against a name: refused.
      checkServerIdentity: service
        ? serverIdentityCheck(service)
        : () => Object.assign(new Error(`no service is listed at ${this.#origin}`), { code: 'ERR_SOUK_TLS_IDENTITY' }),
    });
    socket.setNoDelay(true);
    socket.on('session', (next: Buffer) => void (this.#session = { generation, session: next }));
    return socket;
  }

  #start(connection: UpstreamConnection, exchange: PooledExchange): void {
    exchange.connection = connection;
    connection.start(exchange);
  }
}

/** Where to send a request for one instance URL. */
export type UpstreamTarget = OriginTarget<ConnectionPool>;

export type UpstreamPools = OriginPools<ConnectionPool>;

const SWEEP_EVERY_MS = 1_000;

export function createUpstreamPools(options: UpstreamPoolOptions, tls?: UpstreamTls): UpstreamPools {
  const settings: Required<UpstreamPoolOptions> = { idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS, ...options };
  const pools = createOriginPools(
    (origin) => {
      if (origin.protocol === 'https:' && !tls)
        throw new Error(`upstream ${origin.origin}: an https: instance needs the gateway's certificate (TLS_CERT_FILE…)`);
      if (origin.protocol !== 'http:' && origin.protocol !== 'https:')
        throw new Error(`upstream ${origin.origin}: only http: and https: instances are supported`);
      return new ConnectionPool(origin, settings, tls);
    },
    (pool) => pool.close(),
  );
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (const pool of pools.pools()) pool.sweep(now);
  }, SWEEP_EVERY_MS);
  sweeper.unref();
  return {
    ...pools,
    async close() {
      clearInterval(sweeper);
      await pools.close();
    },
  };
}
