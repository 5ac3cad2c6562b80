// Carts in PostgreSQL with Redis-like expiry: a cart past expires_at reads as
// empty and starts afresh on the next write; every write pushes expires_at to
// now + TTL. Writes lock the cart row, so two tabs adding at once both count.
// A write is BEGIN, one statement that locks the cart and pushes its expiry,
// one that reads the lines, the change, COMMIT; it returns the cart it
// leaves, so the answer needs no second read. Adding to a live cart, the
// usual write, takes a shorter way first: two statements (below, `fastAdd`).
//
// Every statement that changes a cart's lines also writes its cart row (a
// new row version, a new xmin), in the same transaction: the fast add relies
// on it to see that nobody changed the cart between its read and its write.

import { sql } from 'kysely';
import type { Clock } from '@souk/chassis';
import type { CartDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { afterOrder, expiryFrom, isExpired, quantityAfterAdd, type StoredLine } from './cart-rules.ts';

export interface StoredCart {
  lines: StoredLine[];
  expiresAt: Date;
}

export interface CartStore {
  /** The live cart; undefined when there is none or it expired. */
  read(userId: string): Promise<StoredCart | undefined>;
  /** Each write returns the cart as it committed. */
  add(userId: string, productId: string, quantity: number): Promise<StoredCart>;
  setQuantity(userId: string, productId: string, quantity: number): Promise<StoredCart>;
  remove(userId: string, productId: string): Promise<StoredCart>;
  clear(userId: string): Promise<void>;
  /** Drops lines without pushing the expiry (products the catalog no longer has). */
  dropLines(userId: string, productIds: readonly string[]): Promise<void>;
  /** Takes ordered units out, through `db` (an event handler's transaction). Not a user write: the expiry stays. */
  removeOrdered(db: CartDatabase, userId: string, ordered: readonly StoredLine[]): Promise<void>;
  /** Deletes expired carts; returns how many. */
  sweep(): Promise<number>;
}

const linesOf = (db: CartDatabase, userId: string) =>
  db
    .selectFrom('cart_items')
    .select(['product_id as productId', 'quantity'])
    .where('user_id', '=', userId)
    .orderBy('seq')
    .execute();

export function createCartStore(db: CartDatabase, deps: { clock: Clock; ttlSeconds: number }): CartStore {
  const now = () => deps.clock.now();

  /**
   * Creates the cart or pushes its expiry, holding its row lock until commit, in one statement;
   * returns the expiry it had before (null: there was no cart). The `old` CTE locks and reads the
   * row first (the insert's source joins it, so it runs before the insert; FOR UPDATE returns the
   * latest committed version after waiting for another writer). A cart that had expired starts
   * afresh: its created_at moves to now.
   */
  async function lockAndPush(trx: CartDatabase, userId: string, at: Date, expiresAt: Date): Promise<Date | null> {
    const { rows } = await sql<{ previous_expiry: Date | null }>`
      with old as (select expires_at from carts where user_id = ${userId} for update)
      insert into carts as c (user_id, created_at, updated_at, expires_at)
      select ${userId}, ${at}, ${at}, ${expiresAt} from (values (1)) as one left join old on true
      on conflict (user_id) do update set
        updated_at = excluded.updated_at,
        expires_at = excluded.expires_at,
        created_at = case when c.expires_at <= excluded.updated_at then excluded.created_at else c.created_at end
      returning (select expires_at from old) as previous_expiry`.execute(trx);
    return rows[0]!.previous_expiry;
  }

  /** Runs `change` on the user's live cart (created, or emptied if expired), pushes its expiry and returns it. */
  async function write(
    userId: string,
    change: (trx: CartDatabase, lines: StoredLine[], at: Date) => Promise<StoredLine[]>,
  ): Promise<StoredCart> {
    return db.transaction().execute(async (trx) => {
      const at = new Date(now());
      const expiresAt = expiryFrom(at.getTime(), deps.ttlSeconds);
      const previous = await lockAndPush(trx, userId, at, expiresAt);
      let lines: StoredLine[] = [];
      // Expired but not swept yet: it read as empty, so it is written as a new cart.
      if (previous && isExpired(previous, at.getTime()))
        await trx.deleteFrom('cart_items').where('user_id', '=', userId).execute();
      // No cart before: another first write may still have committed lines while this one waited.
      else lines = await linesOf(trx, userId);
      return { lines: await change(trx, lines, at), expiresAt };
    });
  }

  /**
   * Adds to a live cart in two statements instead of five, when nobody else writes it meanwhile: a
   * read of the cart, its lines and its row version (xmin) without a lock or transaction; the rules
   * on what it read; then one statement that pushes the expiry only if the row is still that version
   * (a compare-and-set: a concurrent writer's commit, or the lock it holds until then, leaves another
   * version) and writes the line in the same statement. Undefined when it cannot: no cart or an
   * expired one, a rule refused (checked again under the lock, where it counts), or the cart changed
   * between the two statements; the locking write then does it. Each round trip to PostgreSQL costs
   * both processes a wake-up: the write went from 5 statements to 2.
   */
  async function fastAdd(userId: string, productId: string, adding: number): Promise<StoredCart | undefined> {
    const at = new Date(now());
    const { rows } = await sql<{ version: string; expires_at: Date; product_id: string | null; quantity: number | null }>`
      select c.xmin::text as version, c.expires_at, i.product_id, i.quantity
      from carts c left join cart_items i on i.user_id = c.user_id
      where c.user_id = ${userId}
      order by i.seq`.execute(db);
    const first = rows[0];
    if (!first || isExpired(first.expires_at, at.getTime())) return undefined;
    const lines = rows.flatMap((r) =>
      r.product_id === null || r.quantity === null ? [] : [{ productId: r.product_id, quantity: r.quantity }],
    );
    let quantity: number;
    try {
      quantity = quantityAfterAdd(lines, productId, adding);
    } catch {
      return undefined;
    }
    const expiresAt = expiryFrom(at.getTime(), deps.ttlSeconds);
    const written = await sql<{ quantity: number }>`
      with pushed as (
        update carts set updated_at = ${at}, expires_at = ${expiresAt}
        where user_id = ${userId} and xmin = ${first.version}::xid and expires_at > ${at}
        returning user_id
      )
      insert into cart_items (user_id, product_id, quantity, added_at)
      select user_id, ${productId}, ${quantity}, ${at} from pushed
      on conflict (user_id, product_id) do update set quantity = excluded.quantity
      returning quantity`.execute(db);
    if (written.rows.length === 0) return undefined;
    const after = lines.some((l) => l.productId === productId)
      ? lines.map((l) => (l.productId === productId ? { productId, quantity } : l))
      : [...lines, { productId, quantity }];
    return { lines: after, expiresAt };
  }

  const notInCart = (productId: string) =>
    errors.itemNotFound({ detail: `Product ${productId} is not in your cart.`, extensions: { productId } });

  return {
    async read(userId) {
      // One statement: the cart and its lines (none: one row of nulls from the left join).
      const rows = await db
        .selectFrom('carts as c')
        .leftJoin('cart_items as i', 'i.user_id', 'c.user_id')
        .select(['c.expires_at as expiresAt', 'i.product_id as productId', 'i.quantity as quantity'])
        .where('c.user_id', '=', userId)
        .orderBy('i.seq')
        .execute();
      const first = rows[0];
      if (!first || isExpired(first.expiresAt, now())) return undefined;
      const lines = rows.flatMap((r) =>
        r.productId === null || r.quantity === null ? [] : [{ productId: r.productId, quantity: r.quantity }],
      );
      return { lines, expiresAt: first.expiresAt };
    },

    add: async (userId, productId, adding) =>
      (await fastAdd(userId, productId, adding)) ??
      write(userId, async (trx, lines, at) => {
        const quantity = quantityAfterAdd(lines, productId, adding);
        await trx
          .insertInto('cart_items')
          .values({ user_id: userId, product_id: productId, quantity, added_at: at })
          .onConflict((oc) => oc.columns(['user_id', 'product_id']).doUpdateSet({ quantity }))
          .execute();
        // A new line goes last (its seq is the newest).
        return lines.some((l) => l.productId === productId)
          ? lines.map((l) => (l.productId === productId ? { productId, quantity } : l))
          : [...lines, { productId, quantity }];
      }),

    setQuantity: (userId, productId, quantity) =>
      write(userId, async (trx, lines) => {
        if (!lines.some((l) => l.productId === productId)) throw notInCart(productId);
        await trx
          .updateTable('cart_items')
          .set({ quantity })
          .where('user_id', '=', userId)
          .where('product_id', '=', productId)
          .execute();
        return lines.map((l) => (l.productId === productId ? { productId, quantity } : l));
      }),

    remove: (userId, productId) =>
      write(userId, async (trx, lines) => {
        if (!lines.some((l) => l.productId === productId)) throw notInCart(productId);
        await trx.deleteFrom('cart_items').where('user_id', '=', userId).where('product_id', '=', productId).execute();
        return lines.filter((l) => l.productId !== productId);
      }),

    async clear(userId) {
      await db.deleteFrom('carts').where('user_id', '=', userId).execute();
    },

    async dropLines(userId, productIds) {
      if (productIds.length === 0) return;
      await db.transaction().execute(async (trx) => {
        // A new version of the cart row (its values unchanged): a concurrent fast add sees the change.
        await trx
          .updateTable('carts')
          .set((eb) => ({ updated_at: eb.ref('updated_at') }))
          .where('user_id', '=', userId)
          .execute();
        await trx
          .deleteFrom('cart_items')
          .where('user_id', '=', userId)
          .where('product_id', 'in', [...productIds])
          .execute();
      });
    },

    async removeOrdered(trx, userId, ordered) {
      // An update, not only a lock: the new row version tells a concurrent fast add that the lines changed.
      const cart = await trx
        .updateTable('carts')
        .set((eb) => ({ updated_at: eb.ref('updated_at') }))
        .where('user_id', '=', userId)
        .returning('expires_at')
        .executeTakeFirst();
      if (!cart) return;
      const { update, remove } = afterOrder(await linesOf(trx, userId), ordered);
      for (const line of update) {
        await trx
          .updateTable('cart_items')
          .set({ quantity: line.quantity })
          .where('user_id', '=', userId)
          .where('product_id', '=', line.productId)
          .execute();
      }
      if (remove.length > 0)
        await trx.deleteFrom('cart_items').where('user_id', '=', userId).where('product_id', 'in', remove).execute();
    },

    async sweep() {
      const result = await db.deleteFrom('carts').where('expires_at', '<=', new Date(now())).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
