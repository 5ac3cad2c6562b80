// What the event layer hands a handler, for tests that call a service's handler
// inside their own transaction (to interleave two handlers, say).

import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { HandlerContext } from '../events/handling.ts';
import { handlerContext as eventLayerContext, SharedWork } from '../events/shared-work.ts';

/** A handler context on `trx`; call `flushShared()` before the transaction ends, as the event layer does. */
export function handlerContext<DB>(trx: Kysely<any>, log: Logger): HandlerContext<DB> & { flushShared(): Promise<void> } {
  const shared = new SharedWork();
  return { ...(eventLayerContext(trx, log, shared) as HandlerContext<DB>), flushShared: () => shared.flush(trx) };
}
