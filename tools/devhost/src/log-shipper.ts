// The sidecar-shipper role: every line a process prints also goes to the telemetry service, batched
// (a post every SHIP_EVERY_MS, or at once past SHIP_BATCH lines), one post in flight, over mutual TLS
// with the devhost's certificate (telemetry takes log lines only from its forwarders). Lines wait in a
// bounded buffer while telemetry starts or restarts; past MAX_BUFFERED the oldest are dropped and
// counted, so a dead telemetry service never grows the devhost's memory. In Kubernetes the
// OpenTelemetry Collector's filelog receiver does this job (deploy/telemetry).

import http from 'node:http';
import https from 'node:https';
import { serverIdentityCheck } from '@souk/chassis/spiffe';
import type { ClientTls } from './certificates.ts';

export const SHIP_EVERY_MS = 250;
export const SHIP_BATCH = 2_000;
export const MAX_BUFFERED = 20_000;
const RETRY_MAX_MS = 5_000;
const POST_TIMEOUT_MS = 10_000;

interface Shipped {
  service: string;
  instance: string;
  line: string;
}

export interface LogShipperOptions {
  /** Telemetry's base URL. */
  url: string;
  /** The devhost's certificate (read at each connection: it rotates); absent without mutual TLS. */
  tls?: () => ClientTls;
  /** Told once when lines start to be dropped, and when shipping works again. */
  warn(message: string): void;
  /** Posts a batch; the default is an HTTP(S) POST to `url`. Tests pass their own. */
  post?: (body: string) => Promise<number>;
}

export interface LogShipper {
  add(service: string, instance: string, line: string): void;
  /** Lines dropped so far because the buffer was full. */
  dropped(): number;
  /** Sends what is buffered (one last try) and stops. */
  close(): Promise<void>;
}

export function createLogShipper(options: LogShipperOptions): LogShipper {
  let buffer: Shipped[] = [];
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let failures = 0;
  let closed = false;
  const agent = options.url.startsWith('https:')
    ? new https.Agent({ keepAlive: true, maxSockets: 1 })
    : new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = options.post ?? ((body: string) => httpPost(options.url, body, agent, options.tls));

  const schedule = (delayMs: number) => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, delayMs);
  };

  async function flush(): Promise<void> {
    if (inFlight || buffer.length === 0) return;
    const batch = buffer.splice(0, SHIP_BATCH);
    inFlight = (async () => {
      const status = await post(JSON.stringify({ streams: streamsOf(batch) })).catch(() => 0);
      if (status >= 200 && status < 300) {
        if (failures >= 3) options.warn('log shipping to telemetry works again');
        failures = 0;
      } else if (status >= 400 && status < 500 && status !== 429) {
        // Refused for good (a malformed line, a forbidden caller): sending it again would be refused again.
        options.warn(`telemetry refused ${batch.length} log lines (HTTP ${status}); they are in the log files only`);
      } else {
        // Not there yet, or busy: the batch goes back in front, and the next try waits longer.
        buffer = [...batch, ...buffer];
        trim();
        failures++;
        if (failures === 3)
          options.warn(
            `log shipping to telemetry fails (${status === 0 ? 'unreachable' : `HTTP ${status}`}); buffering up to ${MAX_BUFFERED} lines`,
          );
      }
    })();
    await inFlight;
    inFlight = undefined;
    if (buffer.length > 0)
      schedule(failures === 0 ? (buffer.length >= SHIP_BATCH ? 0 : SHIP_EVERY_MS) : Math.min(RETRY_MAX_MS, 250 * 2 ** failures));
  }

  function trim(): void {
    if (buffer.length <= MAX_BUFFERED) return;
    const excess = buffer.length - MAX_BUFFERED;
    buffer.splice(0, excess);
    if (dropped === 0)
      options.warn(`telemetry cannot keep up: dropping the oldest log lines beyond ${MAX_BUFFERED} (the log files keep them)`);
    dropped += excess;
  }

  return {
    add(service, instance, line) {
      if (closed || line.length === 0) return;
      buffer.push({ service, instance, line });
      trim();
      if (buffer.length >= SHIP_BATCH && failures === 0) {
        clearTimeout(timer);
        timer = undefined;
        void flush();
      } else schedule(SHIP_EVERY_MS);
    },
    dropped: () => dropped,
    async close() {
      closed = true;
      clearTimeout(timer);
      await inFlight;
      // Everything buffered, batch after batch, unless telemetry is failing (one last try then).
      if (failures > 0) await flush();
      else while (buffer.length > 0 && failures === 0) await flush();
      agent.destroy();
    },
  };
}

/** The lines grouped by instance, in their order: what telemetry's log API takes. */
export function streamsOf(batch: readonly Shipped[]): { service: string; instance: string; lines: string[] }[] {
  const streams = new Map<string, { service: string; instance: string; lines: string[] }>();
  for (const { service, instance, line } of batch) {
    let stream = streams.get(instance);
    if (!stream) streams.set(instance, (stream = { service, instance, lines: [] }));
    stream.lines.push(line);
  }
  return [...streams.values()];
}

function httpPost(base: string, body: string, agent: http.Agent, tls?: () => ClientTls): Promise<number> {
  return new Promise((resolve) => {
    const url = new URL('/api/v1/telemetry/logs', base);
    const secure = url.protocol === 'https:';
    const own = secure ? tls?.() : undefined;
    const req = (secure ? https : http).request(
      url,
      {
        method: 'POST',
        agent,
        timeout: POST_TIMEOUT_MS,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        ...(own ? { cert: own.cert, key: own.key, ca: own.ca, checkServerIdentity: serverIdentityCheck('telemetry') } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(body);
  });
}
