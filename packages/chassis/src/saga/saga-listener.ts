// PostgreSQL LISTEN for the saga runner, on a connection of its own: a saga
// started or retried in any instance wakes every runner at commit, and a saga
// that ends wakes whoever waits for it (an HTTP request with Prefer: wait).

import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from 'pino';
import { SAGA_END_CHANNEL, SAGA_WAKE_CHANNEL } from './saga-store.ts';

export interface SagaListener {
  /** Called on each wake notification, and after a reconnect (notifications may have been missed). */
  onWake(fn: () => void): () => void;
  /** Called with the id of each saga that reached a final status. */
  onEnd(fn: (sagaId: string) => void): () => void;
  close(): Promise<void>;
}

export function createSagaListener(options: { url: string; applicationName: string; log: Logger }): SagaListener {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let client: pg.Client | undefined;
  let closed = false;
  let retryMs = 100;
  let timer: NodeJS.Timeout | undefined;

  const connect = async () => {
    const c = new pg.Client({ connectionString: options.url, application_name: `${options.applicationName}-sagas` });
    c.on('notification', (msg) => {
      if (msg.channel === SAGA_WAKE_CHANNEL) emitter.emit('wake');
      else if (msg.channel === SAGA_END_CHANNEL && msg.payload) emitter.emit('end', msg.payload);
    });
    c.on('error', (err) => {
      options.log.warn({ err }, 'saga notification connection failed; reconnecting');
      c.end().catch(() => undefined);
      scheduleReconnect();
    });
    try {
      await c.connect();
      await c.query(`listen ${SAGA_WAKE_CHANNEL}; listen ${SAGA_END_CHANNEL}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    if (closed) return void (await c.end().catch(() => undefined));
    client = c;
    retryMs = 100;
    emitter.emit('wake');
  };
  const scheduleReconnect = () => {
    client = undefined;
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect().catch((err: unknown) => {
        options.log.debug({ err }, 'saga notification connection not back yet');
        retryMs = Math.min(retryMs * 2, 5_000);
        scheduleReconnect();
      });
    }, retryMs);
    timer.unref();
  };
  connect().catch((err: unknown) => {
    options.log.warn({ err }, 'saga notifications unavailable; the runner polls until they are back');
    scheduleReconnect();
  });

  return {
    onWake(fn) {
      emitter.on('wake', fn);
      return () => void emitter.off('wake', fn);
    },
    onEnd(fn) {
      emitter.on('end', fn);
      return () => void emitter.off('end', fn);
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => undefined);
      emitter.removeAllListeners();
    },
  };
}
