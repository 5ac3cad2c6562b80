// Waiting for a saga to end (an HTTP request with Prefer: wait): answered by the
// runner of this process with the final status, or woken by NOTIFY from another
// instance's (then one read of the saga's status). A poll stands behind both: at
// the runner's poll interval without LISTEN, and seldom with it, since a
// reconnect of the listener wakes every wait anyway.

import type { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import { FINAL_STATUSES, type SagaStatus } from './saga-definition.ts';
import type { SagaListener } from './saga-listener.ts';
import { getSaga } from './saga-store.ts';

export interface EndWaits {
  waitForEnd(id: string, timeoutMs: number): Promise<SagaStatus | undefined>;
  endWaits(): void;
}

/** The safety poll of a wait while the listener is there: it only covers a notification lost without a reconnect. */
const LISTENING_POLL_MS = 10_000;

/**
 * `ended` emits 'end' with a saga id and its final status when this process's runner ends one. `local` says
 * what this process knows without a read: a final status it wrote lately, or RUNNING while its runner drives
 * the saga (its end will be emitted here); a wait then skips its first read.
 */
export function createEndWaits(o: {
  db: Kysely<any>;
  ended: EventEmitter;
  listener?: SagaListener;
  pollMs: number;
  local?: (id: string) => SagaStatus | undefined;
}): EndWaits {
  const stopped = new AbortController();
  const finalStatus = async (id: string) => {
    const row = await getSaga(o.db, id);
    return row && FINAL_STATUSES.includes(row.status) ? row.status : undefined;
  };

  return {
    async waitForEnd(id, timeoutMs) {
      if (stopped.signal.aborted) return finalStatus(id);
      const known = o.local?.(id);
      if (known && FINAL_STATUSES.includes(known)) return known;
      return new Promise<SagaStatus | undefined>((resolve) => {
        let settled = false;
        const finish = (status: SagaStatus | undefined) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          clearInterval(poll);
          o.ended.off('end', onEnd);
          offEnd?.();
          stopped.signal.removeEventListener('abort', giveUp);
          resolve(status);
        };
        const giveUp = () => finish(undefined);
        const check = () =>
          void finalStatus(id).then(
            (s) => s && finish(s),
            () => undefined,
          );
        const onEnd = (endedId: string, status?: SagaStatus) => {
          if (endedId !== id) return;
          if (status && FINAL_STATUSES.includes(status)) finish(status);
          else check();
        };
        o.ended.on('end', onEnd);
        const offEnd = o.listener?.onEnd((endedId) => (endedId === id || endedId === '') && check());
        const poll = setInterval(check, o.listener ? Math.max(o.pollMs, LISTENING_POLL_MS) : Math.max(o.pollMs, 250));
        const timer = setTimeout(giveUp, timeoutMs);
        stopped.signal.addEventListener('abort', giveUp, { once: true });
        if (!known) check();
      });
    },
    endWaits() {
      stopped.abort();
    },
  };
}
