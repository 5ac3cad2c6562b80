// Stock levels in PostgreSQL: reading them for the API, locking the rows a
// move touches (always in product-id order, so concurrent moves never
// deadlock), writing moved levels back and announcing StockLow crossings in
// the same transaction.

import type { Events } from '@souk/chassis';
import { StockLow, type StockLevel } from '../../contract.ts';
import type { InventoryDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { availableOf, decidePutLevel, type Level } from './stock-rules.ts';

interface LevelRow {
  product_id: string;
  on_hand: number;
  reserved: number;
  low_stock_threshold: number;
  updated_at: Date;
}

const columns = ['product_id', 'on_hand', 'reserved', 'low_stock_threshold', 'updated_at'] as const;

const toLevel = (row: LevelRow): Level => ({
  productId: row.product_id,
  onHand: row.on_hand,
  reserved: row.reserved,
  lowStockThreshold: row.low_stock_threshold,
});

export function toStockLevel(row: LevelRow): StockLevel {
  return { ...toLevel(row), available: availableOf(toLevel(row)), updatedAt: row.updated_at.toISOString() };
}

/** Locks the levels of these products (sorted, the one lock order everyone uses) and returns those that exist. */
export async function lockLevels(trx: InventoryDatabase, productIds: readonly string[]): Promise<Map<string, Level>> {
  const levels = new Map<string, Level>();
  if (productIds.length === 0) return levels;
  const ids = [...new Set(productIds.map((id) => id.toLowerCase()))].sort();
  // ORDER BY under FOR UPDATE: PostgreSQL locks the rows as the sorted scan returns them.
  const rows = await trx
    .selectFrom('stock_levels')
    .select(columns)
    .where('product_id', 'in', ids)
    .orderBy('product_id')
    .forUpdate()
    .execute();
  for (const row of rows) levels.set(row.product_id, toLevel(row));
  return levels;
}

/** Writes levels locked by lockLevels and changed by a move; publishes StockLow for those that crossed. */
export async function writeLevels(
  trx: InventoryDatabase,
  events: Pick<Events, 'publish'>,
  moved: { levels: Level[]; crossedLow: Level[] },
  now: Date,
): Promise<void> {
  for (const level of moved.levels) {
    await trx
      .updateTable('stock_levels')
      .set({ on_hand: level.onHand, reserved: level.reserved, updated_at: now })
      .where('product_id', '=', level.productId)
      .execute();
  }
  for (const level of moved.crossedLow) await announceLow(trx, events, level, now);
}

async function announceLow(trx: InventoryDatabase, events: Pick<Events, 'publish'>, level: Level, now: Date): Promise<void> {
  await events.publish(
    trx,
    StockLow,
    {
      productId: level.productId,
      available: availableOf(level),
      threshold: level.lowStockThreshold,
      at: now.toISOString(),
    },
    { subject: level.productId, time: now },
  );
}

/** A level for a product inventory has not stocked yet; an existing one is kept as it is. */
export async function createLevelIfMissing(
  db: InventoryDatabase,
  level: { productId: string; onHand: number; lowStockThreshold: number },
  now: Date,
): Promise<boolean> {
  const inserted = await db
    .insertInto('stock_levels')
    .values({
      product_id: level.productId.toLowerCase(),
      on_hand: level.onHand,
      reserved: 0,
      low_stock_threshold: level.lowStockThreshold,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('product_id').doNothing())
    .returning('product_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export interface LevelStore {
  get(productId: string): Promise<StockLevel>;
  /** One entry per distinct id, in the order asked; products without a level have 0 units. */
  list(productIds: readonly string[]): Promise<StockLevel[]>;
  put(productId: string, body: { onHand: number; lowStockThreshold?: number | undefined }): Promise<StockLevel>;
}

export interface LevelStoreDeps {
  clock: { now(): number };
  events: Pick<Events, 'publish'>;
  defaultThreshold: number;
}

export function createLevelStore(db: InventoryDatabase, deps: LevelStoreDeps): LevelStore {
  return {
    async get(productId) {
      const row = await db
        .selectFrom('stock_levels')
        .select(columns)
        .where('product_id', '=', productId.toLowerCase())
        .executeTakeFirst();
      if (!row)
        throw errors.levelNotFound({
          detail: `Inventory has no stock level for product ${productId}.`,
          extensions: { productId },
        });
      return toStockLevel(row);
    },

    async list(productIds) {
      const ids = [...new Set(productIds.map((id) => id.toLowerCase()))];
      const rows = ids.length ? await db.selectFrom('stock_levels').select(columns).where('product_id', 'in', ids).execute() : [];
      const found = new Map(rows.map((r) => [r.product_id, toStockLevel(r)]));
      return ids.map(
        (id) =>
          found.get(id) ?? {
            productId: id,
            onHand: 0,
            reserved: 0,
            available: 0,
            lowStockThreshold: deps.defaultThreshold,
            updatedAt: null,
          },
      );
    },

    async put(productId, body) {
      const id = productId.toLowerCase();
      const now = new Date(deps.clock.now());
      return db.transaction().execute(async (trx) => {
        const before = (await lockLevels(trx, [id])).get(id);
        const decision = decidePutLevel(before, id, body, deps.defaultThreshold);
        if (!decision.ok) {
          throw errors.onHandBelowReserved({
            detail: `${decision.reserved} units of product ${id} are reserved for orders; onHand cannot be ${body.onHand}.`,
            extensions: { productId: id, onHand: body.onHand, reserved: decision.reserved },
          });
        }
        const { level } = decision;
        const values = {
          on_hand: level.onHand,
          reserved: level.reserved,
          low_stock_threshold: level.lowStockThreshold,
          updated_at: now,
        };
        // A level created meanwhile (ProductCreated) is locked by the conflict and overwritten: the admin's word is the last.
        const row = await trx
          .insertInto('stock_levels')
          .values({ product_id: id, ...values })
          .onConflict((oc) =>
            oc
              .column('product_id')
              .doUpdateSet({ on_hand: level.onHand, low_stock_threshold: level.lowStockThreshold, updated_at: now }),
          )
          .returning(columns)
          .executeTakeFirstOrThrow();
        if (decision.crossedLow) await announceLow(trx, deps.events, level, now);
        return toStockLevel(row);
      });
    },
  };
}
