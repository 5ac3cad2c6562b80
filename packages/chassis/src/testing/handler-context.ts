// What the event layer hands a handler, for tests that call a service's handler
// inside their own transaction (to interleave two handlers, say).

import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { HandlerContext } from '../events/handling.ts';
import { SharedWork } from '../events/shared-work.ts';

/** A handler context on `trx`; call `flushShared()` before the transaction ends, as the event layer does. */
export function handlerContext<DB>(trx: Kysely<any>, log: Logger): HandlerContext<DB> & { flushShared(): Promise<void> } {
  const shared = new SharedWork();
  return {
    db: trx,
    log,
    shared: (key, create, flush) => shared.get(key, create, flush),
    flushShared: () => shared.flush(trx),
  };
}
