// PostgreSQL LISTEN on one dedicated connection per instance: a commit that
// wrote to the outbox wakes the held feed polls waiting for its event types
// (and the broker relay), in every instance, within a millisecond instead of a
// poll interval.
// The saga runner listens the same way (saga/saga-listener.ts).

import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from 'pino';
import { backoffDelay, type Backoff } from '../backoff.ts';

/** Notified by each transaction that wrote to the outbox, once per event type (the payload). */
export const OUTBOX_CHANNEL = 'souk_outbox';
/** Reconnects of the LISTEN connection: 100 ms doubling to 5 s. */
const RECONNECT: Backoff = { curve: 'exponential', baseMs: 100, capMs: 5_000 };

export interface Notifier {
  /**
   * Calls `fn` with the payload of each notification of `channel`, and without
   * one after a reconnect (notifications may have been missed meanwhile).
   */
  on(channel: string, fn: (payload?: string) => void): () => void;
  close(): Promise<void>;
}

export interface NotifierOptions {
  url: string;
  applicationName: string;
  log: Logger;
  channels: readonly string[];
  /** Names the connection (`<applicationName>-<purpose>`) and the log lines; default 'event'. */
  purpose?: string;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const purpose = options.purpose ?? 'event';
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let client: pg.Client | undefined;
  let closed = false;
  /** Failed connects in a row (1 before the first reconnect). */
  let failures = 1;
  let timer: NodeJS.Timeout | undefined;

  const wakeAll = () => options.channels.forEach((c) => emitter.emit(c));
  const connect = async () => {
    const c = new pg.Client({
      connectionString: options.url,
      application_name: `${options.applicationName}-${purpose === 'event' ? 'listen' : purpose}`,
    });
    c.on('notification', (msg) => emitter.emit(msg.channel, msg.payload || undefined));
    c.on('error', (err) => {
      options.log.warn({ err }, `${purpose} notification connection failed; reconnecting`);
      c.end().catch(() => undefined);
      scheduleReconnect();
    });
    try {
      await c.connect();
      for (const channel of options.channels) await c.query(`listen ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    if (closed) return void (await c.end().catch(() => undefined));
    client = c;
    failures = 1;
    wakeAll();
  };
  const scheduleReconnect = () => {
    client = undefined;
    if (closed || timer) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        connect().catch((err: unknown) => {
          options.log.debug({ err }, `${purpose} notification connection not back yet`);
          failures++;
          scheduleReconnect();
        });
      },
      backoffDelay(RECONNECT, failures),
    );
    timer.unref();
  };
  connect().catch((err: unknown) => {
    options.log.warn({ err }, `${purpose} notifications unavailable; relying on polling until they are back`);
    scheduleReconnect();
  });

  return {
    on(channel, fn) {
      emitter.on(channel, fn);
      return () => void emitter.off(channel, fn);
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => undefined);
      emitter.removeAllListeners();
    },
  };
}

/**
 * Resolves on the next notification of `channel`, after `ms`, or when `signal`
 * aborts, whichever comes first (never rejects).
 */
export function nextNotification(notifier: Notifier, channel: string, ms: number, signal?: AbortSignal): Promise<void> {
  return armNotification(notifier, channel, ms, signal).done;
}

/**
 * Like nextNotification, but can be disarmed: a caller that stops waiting frees its timer and
 * listeners at once. With `accept`, only notifications it accepts (by payload) end the wait; one
 * without a payload (after a reconnect) always does.
 */
export function armNotification(
  notifier: Notifier,
  channel: string,
  ms: number,
  signal?: AbortSignal,
  accept?: (payload: string) => boolean,
): { done: Promise<void>; cancel(): void } {
  let cancel = () => {};
  const done = new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const finish = () => {
      clearTimeout(timer);
      off();
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    const off = notifier.on(channel, (payload) => {
      if (!accept || payload === undefined || accept(payload)) finish();
    });
    signal?.addEventListener('abort', finish, { once: true });
    cancel = finish;
  });
  return { done, cancel: () => cancel() };
}
