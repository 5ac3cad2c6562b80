// PostgreSQL LISTEN for the saga runner, on a connection of its own (the
// chassis notifier): a saga started or retried in any instance wakes every
// runner at commit, and a saga that ends wakes whoever waits for it (an HTTP
// request with Prefer: wait).

import type { Logger } from 'pino';
import { createNotifier } from '../events/notifier.ts';
import { SAGA_END_CHANNEL, SAGA_WAKE_CHANNEL } from './saga-store.ts';

export interface SagaListener {
  /** Called on each wake notification, and after a reconnect (notifications may have been missed). */
  onWake(fn: () => void): () => void;
  /** Called with the id of each saga that reached a final status; with '' after a reconnect (any may have ended meanwhile). */
  onEnd(fn: (sagaId: string) => void): () => void;
  close(): Promise<void>;
}

export function createSagaListener(options: { url: string; applicationName: string; log: Logger }): SagaListener {
  const notifier = createNotifier({ ...options, channels: [SAGA_WAKE_CHANNEL, SAGA_END_CHANNEL], purpose: 'sagas' });
  return {
    onWake: (fn) => notifier.on(SAGA_WAKE_CHANNEL, () => fn()),
    // After a reconnect the end channel fires without a payload: notifications may have been missed.
    onEnd: (fn) => notifier.on(SAGA_END_CHANNEL, (payload) => fn(payload ?? '')),
    close: () => notifier.close(),
  };
}
