// Demo stock (INVENTORY_SEED_STOCK > 0): once per database, a background task
// pages through catalog's products and opens a level for each. It retries with
// backoff until catalog answers and never holds up the start. The marker row
// and the levels commit together, so a second instance skips it.

import { backoffDelay, pause, type ServiceClient } from '@souk/chassis';
import type { ProductPage } from '@souk/catalog/contract';
import type { Logger } from 'pino';
import type { InventoryDatabase } from '../db.ts';

export const SEED_NAME = 'demo-stock-v1';
const PAGE_SIZE = 100;

export interface SeedDeps {
  db: InventoryDatabase;
  catalog: ServiceClient;
  log: Logger;
  clock: { now(): number };
  stock: number;
  threshold: number;
  /** Longest pause between attempts, ms. */
  maxBackoffMs?: number;
}

export interface SeedTask {
  /** Settles when the seed ran, was already there, or the task was stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Every product id catalog lists; newest first, so a product added meanwhile shifts pages forward (a repeat, not a gap). */
export async function catalogProductIds(catalog: ServiceClient, signal?: AbortSignal): Promise<string[]> {
  const ids = new Set<string>();
  for (let page = 1, pages = 1; page <= pages; page++) {
    const res = await catalog.request<ProductPage>({
      method: 'GET',
      path: '/api/v1/catalog/products',
      query: { page, pageSize: PAGE_SIZE, sort: 'newest' },
      ...(signal ? { signal } : {}),
    });
    for (const product of res.body.items) ids.add(product.id.toLowerCase());
    pages = res.body.totalPages;
  }
  return [...ids];
}

export async function seeded(db: InventoryDatabase): Promise<boolean> {
  return (await db.selectFrom('seed_runs').select('name').where('name', '=', SEED_NAME).executeTakeFirst()) !== undefined;
}

/** Levels for `ids` (existing ones kept) and the marker, in one transaction; false when another instance was first. */
export async function loadSeedStock(
  deps: Pick<SeedDeps, 'db' | 'clock' | 'stock' | 'threshold'>,
  ids: readonly string[],
): Promise<{ seeded: boolean; levels: number }> {
  const now = new Date(deps.clock.now());
  return deps.db.transaction().execute(async (trx) => {
    const marker = await trx
      .insertInto('seed_runs')
      .values({ name: SEED_NAME, applied_at: now, product_count: ids.length })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('name')
      .executeTakeFirst();
    if (!marker || ids.length === 0) return { seeded: marker !== undefined, levels: 0 };
    const rows = await trx
      .insertInto('stock_levels')
      .values(
        ids.map((id) => ({
          product_id: id,
          on_hand: deps.stock,
          reserved: 0,
          low_stock_threshold: deps.threshold,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.column('product_id').doNothing())
      .returning('product_id')
      .execute();
    return { seeded: true, levels: rows.length };
  });
}

export function startSeedTask(deps: SeedDeps): SeedTask {
  const stopping = new AbortController();
  const maxBackoff = deps.maxBackoffMs ?? 30_000;
  const done = (async () => {
    for (let attempt = 1; !stopping.signal.aborted; attempt++) {
      try {
        if (await seeded(deps.db)) return;
        const ids = await catalogProductIds(deps.catalog, stopping.signal);
        const result = await loadSeedStock(deps, ids);
        if (result.seeded) deps.log.info({ products: ids.length, levels: result.levels, units: deps.stock }, 'demo stock loaded');
        return;
      } catch (err) {
        if (stopping.signal.aborted) return;
        // Catalog starting next to us is normal at first; keep saying so, but quietly.
        const level = attempt <= 1 ? 'warn' : 'debug';
        deps.log[level]({ err, attempt }, 'demo stock not loaded yet (is catalog up?); retrying');
        // Full jitter, so instances starting together spread out.
        await pause(backoffDelay({ curve: 'full-jitter', baseMs: 500, capMs: maxBackoff }, attempt), stopping.signal);
      }
    }
  })();
  return {
    done,
    async stop() {
      stopping.abort();
      await done;
    },
  };
}
