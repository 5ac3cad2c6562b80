// Carts in PostgreSQL with Redis-like expiry: a cart past expires_at reads as
// empty and starts afresh on the next write; every write pushes expires_at to
// now + TTL. Writes lock the cart row, so two tabs adding at once both count.
// A write is BEGIN, one statement that locks the cart and pushes its expiry,
// one that reads the lines, the change, COMMIT; it returns the cart it
// leaves, so the answer needs no second read. Adding to a live cart, the
// usual write, takes a shorter way first: one statement (below, `fastAdd`).
//
// Every statement that changes a cart's lines also writes its cart row (a
// new row version, a new xmin), in the same transaction: the fast add relies
// on it to see that nobody changed the cart between its snapshot and its write.

import { sql } from 'kysely';
import type { Clock } from '@souk/chassis';
import type { CartDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { MAX_LINES, MAX_QUANTITY } from '../../contract.ts';
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
   * Adds to a live cart in one statement instead of five, when nobody else writes it meanwhile. Within
   * the statement's snapshot it reads the cart, its lines and its row version (xmin); it pushes the
   * expiry only if the row is still that version when it takes the row's lock (a compare-and-set: a
   * writer that committed after the snapshot, or holds the lock until it commits, leaves another
   * version, which PostgreSQL's recheck of the WHERE clause sees) and the rules allow the add, and
   * writes the line in the same statement. It answers with the lines it read and the quantity it wrote.
   * Undefined when it cannot: no cart or an expired one, a rule would refuse (the locking write checks
   * again under the lock, with `quantityAfterAdd`, which gives the error), or the cart changed; the
   * locking write then does it.
   * Each round trip to PostgreSQL costs both processes a wake-up: the write went from 5 statements to
   * 2 (a read, then the compare-and-set), then to this one.
   */
  async function fastAdd(userId: string, productId: string, adding: number): Promise<StoredCart | undefined> {
    const at = new Date(now());
    const expiresAt = expiryFrom(at.getTime(), deps.ttlSeconds);
    // The limits are the rules' own (quantityAfterAdd); a refusal here only sends the add down the locking path.
    const { rows } = await sql<{ written: number | null; expires_at: Date; product_id: string | null; quantity: number | null }>`
      with cart as (
        select xmin as version, expires_at from carts where user_id = ${userId}
      ), lines as (
        select product_id, quantity, seq from cart_items where user_id = ${userId}
      ), line as (
        select coalesce(max(quantity) filter (where product_id = ${productId}::uuid), 0) + ${adding}::int as quantity,
               bool_or(product_id = ${productId}::uuid) is true as present,
               count(*) as n
        from lines
      ), pushed as (
        update carts c set updated_at = ${at}, expires_at = ${expiresAt}
        from cart, line
        where c.user_id = ${userId} and c.xmin = cart.version and c.expires_at > ${at}
          and line.quantity <= ${MAX_QUANTITY}::int and (line.present or line.n < ${MAX_LINES}::int)
        returning c.user_id
      ), written as (
        insert into cart_items (user_id, product_id, quantity, added_at)
        select pushed.user_id, ${productId}::uuid, line.quantity, ${at} from pushed, line
        on conflict (user_id, product_id) do update set quantity = excluded.quantity
        returning quantity
      )
      select (select quantity from written) as written, cart.expires_at, l.product_id, l.quantity
      from cart left join lines l on true
      order by l.seq`.execute(db);
    const quantity = rows[0]?.written;
    if (quantity === undefined || quantity === null) return undefined;
    const lines = rows.flatMap((r) =>
      r.product_id === null || r.quantity === null ? [] : [{ productId: r.product_id, quantity: r.quantity }],
    );
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
