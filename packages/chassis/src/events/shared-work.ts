// Work the handlers of one inbox transaction share: a handler with per-event
// bookkeeping (a progress counter, rows to merge) adds to a state the first
// handler created, and the state is written once, after the last handler of
// the transaction and before it commits. On the feed and on NATS a transaction
// carries a page or batch of events, so such a write is paid per page, not per
// event (order-history's projection is the reader that needs it).

import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { HandlerContext } from './handling.ts';

interface Entry {
  state: unknown;
  flush: (state: unknown, db: Kysely<any>) => Promise<void>;
}

export class SharedWork {
  private readonly entries = new Map<string, Entry>();

  /** The state under `key`, created on first use; `flush` of that first use runs once before the commit. */
  get<T>(key: string, create: () => T, flush: (state: T, db: Kysely<any>) => Promise<void>): T {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { state: create(), flush: flush as Entry['flush'] };
      this.entries.set(key, entry);
    }
    return entry.state as T;
  }

  /** Writes every state, in the order they were first asked for; a failure rolls the transaction back. */
  async flush(db: Kysely<any>): Promise<void> {
    for (const entry of this.entries.values()) await entry.flush(entry.state, db);
    this.entries.clear();
  }
}

/**
 * What a handler gets: the transaction, its logger, and `shared` over this transaction's work. The
 * logger may be given as a function: made on first use (most handlers of a page never log).
 */
export function handlerContext(trx: Kysely<any>, log: Logger | (() => Logger), shared: SharedWork): HandlerContext<any> {
  let logger = typeof log === 'function' ? undefined : log;
  return {
    db: trx,
    get log() {
      return (logger ??= (log as () => Logger)());
    },
    shared: (key, create, flush) => shared.get(key, create, flush),
  };
}
