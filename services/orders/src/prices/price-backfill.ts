// The price copy's first fill: the products catalog had before orders listened
// to its events (the seed publishes none), read page by page from catalog's
// list once, at the first start, and retried until catalog answers. Events
// that arrive meanwhile are kept: the copy takes whichever state is newer.

import { backoffDelay, pause, type Clock, type Logger } from '@souk/chassis';
import type { OrdersDatabase } from '../db.ts';
import type { CatalogProducts } from './catalog-products.ts';
import type { PriceCopy } from './price-copy.ts';

/** Waits between tries while catalog is away: 500 ms doubling to 30 s (a loop of this process, no jitter needed). */
const RETRY = { curve: 'exponential', baseMs: 500, capMs: 30_000 } as const;

export interface PriceBackfill {
  /** Resolves when the copy is filled (now or by an earlier start), or the service stops. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export function startPriceBackfill(deps: {
  db: OrdersDatabase;
  copy: PriceCopy;
  catalog: CatalogProducts;
  clock: Clock;
  log: Logger;
}): PriceBackfill {
  const { db, log } = deps;
  const stopping = new AbortController();

  async function fill(): Promise<number> {
    let products = 0;
    for (let page = 1, pages = 1; page <= pages && !stopping.signal.aborted; page++) {
      const answer = await deps.catalog.page(page, stopping.signal);
      await deps.copy.putStates(db, answer.products);
      products += answer.products.length;
      pages = answer.totalPages;
    }
    return products;
  }

  async function run(): Promise<void> {
    for (let failures = 0; !stopping.signal.aborted;) {
      try {
        const filled = await db.selectFrom('product_prices_backfill').select('completed_at').executeTakeFirst();
        if (filled) return;
        const products = await fill();
        if (stopping.signal.aborted) return;
        // Another instance may have finished first: both wrote the same (or newer) states.
        await db
          .insertInto('product_prices_backfill')
          .values({ singleton: true, completed_at: new Date(deps.clock.now()), products })
          .onConflict((oc) => oc.column('singleton').doNothing())
          .execute();
        log.info({ products }, 'price copy filled from the catalog');
        return;
      } catch (err) {
        failures++;
        if (stopping.signal.aborted) return;
        // Catalog usually starts beside orders: say it once, then quietly retry.
        if (failures === 1) log.warn({ err }, 'price copy: catalog not reachable yet, retrying');
        await pause(backoffDelay(RETRY, failures), stopping.signal);
      }
    }
  }

  const done = run();
  return {
    done,
    async stop() {
      stopping.abort();
      await done;
    },
  };
}
