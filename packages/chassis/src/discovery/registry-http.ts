// The registry client's plumbing: HTTP calls with a deadline, one notion of
// "the registry is unreachable", abortable sleeps, and outage logging that
// warns once per outage rather than once per failed attempt.

import { setTimeout as delay } from 'node:timers/promises';
import type { Clock, Log } from './types.ts';

export type FetchFn = typeof fetch;

export interface RegistryResponse {
  status: number;
  body: unknown;
}

export interface CallOptions {
  body?: unknown;
  timeoutMs: number;
  signal: AbortSignal;
}

/** The registry could not be reached or answered 5xx: worth retrying later. */
export class RegistryUnavailableError extends Error {
  override readonly name = 'RegistryUnavailableError';
}

export interface RegistryHttp {
  call(method: string, path: string, options: CallOptions): Promise<RegistryResponse>;
}

export function createRegistryHttp(registryUrl: string, fetchFn: FetchFn): RegistryHttp {
  const base = registryUrl.replace(/\/+$/, '');
  return {
    async call(method, path, { body, timeoutMs, signal }) {
      // A registry that accepts the connection but never answers must not stall
      // the loops. An explicit timer (rather than AbortSignal.timeout) is cleared
      // as soon as the call ends, so no timers pile up behind quick calls.
      const deadline = new AbortController();
      const abort = () => deadline.abort(signal.reason);
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });
      const timer = setTimeout(() => deadline.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      let status: number;
      let text: string;
      try {
        const res = await fetchFn(base + path, {
          method,
          headers,
          signal: deadline.signal,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        const reason = deadline.signal.aborted && !signal.aborted ? `no answer within ${timeoutMs} ms` : describeError(err);
        throw new RegistryUnavailableError(`${method} ${path} failed: ${reason}`, { cause: err });
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', abort);
      }
      if (status >= 500) throw new RegistryUnavailableError(`${method} ${path} answered ${status}`);
      let parsed: unknown;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status, body: parsed };
    },
  };
}

/** The most telling part of a fetch failure: the socket error code when there is one. */
export function describeError(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

export interface OutageLog {
  failed(err: unknown): void;
  recovered(): void;
  readonly down: boolean;
}

/**
 * Tracks one outage of the registry as seen by one loop. A registry that is
 * down for a minute would otherwise fill the log with a warning per retry and
 * hide everything else.
 */
export function createOutageLog(log: Log, clock: Clock, what: string, registryUrl: string): OutageLog {
  let since: number | undefined;
  return {
    failed(err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (since === undefined) {
        since = clock.now();
        log.warn({ registryUrl, reason }, `registry unreachable: ${what} will retry with backoff until it answers`);
      } else {
        log.debug({ registryUrl, reason }, `registry still unreachable (${what})`);
      }
    },
    recovered() {
      if (since === undefined) return;
      log.info({ registryUrl, downMs: clock.now() - since }, `registry reachable again (${what})`);
      since = undefined;
    },
    get down() {
      return since !== undefined;
    },
  };
}
