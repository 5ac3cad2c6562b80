// Carts in PostgreSQL with Redis-like expiry: a cart past expires_at reads as
// empty and starts afresh on the next write; every write pushes expires_at to
// now + TTL. Writes lock the cart row, so two tabs adding at once both count.

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
  add(userId: string, productId: string, quantity: number): Promise<void>;
  setQuantity(userId: string, productId: string, quantity: number): Promise<void>;
  remove(userId: string, productId: string): Promise<void>;
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

  /** Runs `change` on the user's live cart (created, or emptied if expired) and pushes its expiry. */
  async function write(
    userId: string,
    change: (trx: CartDatabase, lines: StoredLine[], at: Date) => Promise<void>,
  ): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const at = new Date(now());
      await trx
        .insertInto('carts')
        .values({ user_id: userId, created_at: at, updated_at: at, expires_at: expiryFrom(at.getTime(), deps.ttlSeconds) })
        .onConflict((oc) => oc.column('user_id').doNothing())
        .execute();
      const cart = await trx
        .selectFrom('carts')
        .select('expires_at')
        .where('user_id', '=', userId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      // Expired but not swept yet: it reads as empty, so it is written as a new cart.
      if (isExpired(cart.expires_at, at.getTime())) await trx.deleteFrom('cart_items').where('user_id', '=', userId).execute();
      await change(trx, await linesOf(trx, userId), at);
      await trx
        .updateTable('carts')
        .set({ updated_at: at, expires_at: expiryFrom(at.getTime(), deps.ttlSeconds) })
        .where('user_id', '=', userId)
        .execute();
    });
  }

  const notInCart = (productId: string) =>
    errors.itemNotFound({ detail: `Product ${productId} is not in your cart.`, extensions: { productId } });

  return {
    async read(userId) {
      const cart = await db.selectFrom('carts').select('expires_at').where('user_id', '=', userId).executeTakeFirst();
      if (!cart || isExpired(cart.expires_at, now())) return undefined;
      return { lines: await linesOf(db, userId), expiresAt: cart.expires_at };
    },

    add: (userId, productId, adding) =>
      write(userId, async (trx, lines, at) => {
        const quantity = quantityAfterAdd(lines, productId, adding);
        await trx
          .insertInto('cart_items')
          .values({ user_id: userId, product_id: productId, quantity, added_at: at })
          .onConflict((oc) => oc.columns(['user_id', 'product_id']).doUpdateSet({ quantity }))
          .execute();
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
      }),

    remove: (userId, productId) =>
      write(userId, async (trx, lines) => {
        if (!lines.some((l) => l.productId === productId)) throw notInCart(productId);
        await trx.deleteFrom('cart_items').where('user_id', '=', userId).where('product_id', '=', productId).execute();
      }),

    async clear(userId) {
      await db.deleteFrom('carts').where('user_id', '=', userId).execute();
    },

    async dropLines(userId, productIds) {
      if (productIds.length === 0) return;
      await db
        .deleteFrom('cart_items')
        .where('user_id', '=', userId)
        .where('product_id', 'in', [...productIds])
        .execute();
    },

    async removeOrdered(trx, userId, ordered) {
      const cart = await trx
        .selectFrom('carts')
        .select('expires_at')
        .where('user_id', '=', userId)
        .forUpdate()
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
