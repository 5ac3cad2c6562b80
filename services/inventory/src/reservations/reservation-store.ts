// Reservations in PostgreSQL: reserve (idempotent by id, all or nothing over
// its lines), and applying what reservation-rules decides for every later step,
// each in one transaction with the level changes and the events announcing them.

import { sql } from 'kysely';
import type { Events } from '@souk/chassis';
import {
  StockCommitted,
  StockReleased,
  StockReserved,
  StockReturned,
  type Reservation,
  type ReservationStatus,
  type StockLine,
} from '../../contract.ts';
import type { InventoryDatabase } from '../db.ts';
import { lockLevels, writeLevels } from '../stock/level-store.ts';
import { moveStock, type Shortage } from '../stock/stock-rules.ts';
import {
  decide,
  decideRepeat,
  reserveFingerprint,
  type Decision,
  type ReservationCommand,
  type ReservationState,
} from './reservation-rules.ts';

interface ReservationRow {
  id: string;
  order_id: string | null;
  status: ReservationStatus;
  items: StockLine[];
  fingerprint: string | null;
  expires_at: Date | null;
  updated_at: Date;
}

const columns = ['id', 'order_id', 'status', 'items', 'fingerprint', 'expires_at', 'updated_at'] as const;

export function toReservation(row: ReservationRow): Reservation {
  return {
    id: row.id,
    orderId: row.order_id,
    status: row.status,
    items: row.items,
    expiresAt: row.expires_at?.toISOString() ?? null,
    updatedAt: row.updated_at.toISOString(),
  };
}

const toState = (row: ReservationRow): ReservationState => ({
  id: row.id,
  orderId: row.order_id,
  status: row.status,
  items: row.items,
  fingerprint: row.fingerprint,
  expiresAt: row.expires_at,
});

export type ReserveOutcome =
  | { kind: 'held' | 'replayed'; reservation: Reservation }
  | { kind: 'conflict'; why: string; status: ReservationStatus }
  | { kind: 'insufficient'; shortage: Shortage };

/** What applying a command did; `shortage` only when re-taking an expired reservation found too few units. */
export type ApplyOutcome =
  | { kind: 'changed' | 'unchanged' | 'tombstone'; reservation: Reservation }
  | { kind: 'refused'; why: Extract<Decision, { kind: 'refused' }>['why']; reservation?: Reservation }
  | { kind: 'short'; shortage: Shortage; reservation: Reservation };

export interface ReservationStoreDeps {
  clock: { now(): number };
  events: Pick<Events, 'publish'>;
}

/** For the writes made in one statement, their announcements a part of it. */
export interface OneStatementDeps {
  clock: { now(): number };
  events: Pick<Events, 'publishing'>;
}

/** `lines` as the rows of a `values` list, (product_id, quantity), for a statement to join stock_levels on. */
const needed = (lines: readonly StockLine[]) => sql.join(lines.map((l) => sql`(${l.productId}::uuid, ${l.quantity}::int)`));

/** PostgreSQL's deadlock_detected: the statement was undone, so the caller may take the other way. */
const isDeadlock = (err: unknown): boolean => (err as { code?: unknown } | null)?.code === '40P01';

/**
 * The common reserve in one statement, no transaction: the levels are locked
 * in product-id order (the lock order of every move) and checked in SQL; when
 * every line fits and no level falls to its low-stock threshold, the
 * reservation is inserted, the levels move and StockReserved is written to the
 * outbox, all in that statement. Anything else writes nothing and answers
 * undefined, for reserve() in a transaction to decide with its rules: a
 * shortage, a StockLow to announce, a missing level, an id that exists (replay
 * or conflict), and a deadlock with such a transaction (which locked the id
 * before the levels, the other way round).
 */
export async function reserveAtOnce(
  db: InventoryDatabase,
  deps: OneStatementDeps,
  request: { id: string; orderId: string; lines: StockLine[]; ttlSeconds: number | undefined; defaultTtlSeconds: number },
): Promise<Reservation | undefined> {
  const now = new Date(deps.clock.now());
  const id = request.id.toLowerCase();
  const orderId = request.orderId.toLowerCase();
  const fingerprint = reserveFingerprint({ orderId, items: request.lines, ttlSeconds: request.ttlSeconds });
  const expiresAt = new Date(now.getTime() + (request.ttlSeconds ?? request.defaultTtlSeconds) * 1000);
  const announced = deps.events.publishing(
    db,
    [
      {
        contract: StockReserved,
        data: {
          reservationId: id,
          orderId,
          items: request.lines,
          expiresAt: expiresAt.toISOString(),
          reservedAt: now.toISOString(),
        },
        options: { subject: id, time: now },
      },
    ],
    sql`held`,
  );
  // `fits` reads the levels as locked (their latest versions), so the check and the move see the same units;
  // a line without a level, or short, leaves it empty, and then nothing is written.
  const statement = sql<ReservationRow>`
    with need (product_id, quantity) as (values ${needed(request.lines)}),
    locked as (
      select s.product_id, s.on_hand, s.reserved, s.low_stock_threshold from stock_levels s
      where s.product_id in (select product_id from need)
      order by s.product_id
      for update of s),
    fits as (
      select 1 from need n join locked l using (product_id)
      having count(*) = ${request.lines.length}
         and bool_and(l.on_hand - l.reserved >= n.quantity
                      and (l.on_hand - l.reserved <= l.low_stock_threshold
                           or l.on_hand - l.reserved - n.quantity > l.low_stock_threshold))),
    held as (
      insert into reservations (id, order_id, status, items, fingerprint, expires_at, reason, created_at, updated_at)
      select ${id}, ${orderId}, 'HELD', ${JSON.stringify(request.lines)}::jsonb, ${fingerprint}, ${expiresAt}, null, ${now}, ${now}
      where exists (select from fits)
      on conflict (id) do nothing
      returning ${sql.join(columns.map((c) => sql.ref(c)))}),
    moved as (
      update stock_levels s set reserved = s.reserved + n.quantity, updated_at = ${now}
      from need n
      where s.product_id = n.product_id and exists (select from held)
      returning s.product_id),
    announced as (${announced})
    select * from held`;
  try {
    const { rows } = await statement.execute(db);
    return rows[0] && toReservation(rows[0]);
  } catch (err) {
    if (isDeadlock(err)) return undefined;
    throw err;
  }
}

export async function lockReservation(trx: InventoryDatabase, id: string): Promise<ReservationRow | undefined> {
  return trx.selectFrom('reservations').select(columns).where('id', '=', id.toLowerCase()).forUpdate().executeTakeFirst();
}

/**
 * Reserves `lines` (normalised: sorted, one per product) under `id`. The row is
 * inserted first: a concurrent reserve or release of the same id waits on it,
 * then sees it. Refusals are returned, not thrown: the caller throws the coded
 * error, which rolls the inserted row back (reservation-commands.ts).
 */
export async function reserve(
  trx: InventoryDatabase,
  deps: ReservationStoreDeps,
  request: { id: string; orderId: string; lines: StockLine[]; ttlSeconds: number | undefined; defaultTtlSeconds: number },
): Promise<ReserveOutcome> {
  const now = new Date(deps.clock.now());
  const id = request.id.toLowerCase();
  const orderId = request.orderId.toLowerCase();
  const fingerprint = reserveFingerprint({ orderId, items: request.lines, ttlSeconds: request.ttlSeconds });
  const expiresAt = new Date(now.getTime() + (request.ttlSeconds ?? request.defaultTtlSeconds) * 1000);
  const inserted = await trx
    .insertInto('reservations')
    .values({
      id,
      order_id: orderId,
      status: 'HELD',
      items: JSON.stringify(request.lines),
      fingerprint,
      expires_at: expiresAt,
      reason: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning(columns)
    .executeTakeFirst();
  if (!inserted) {
    const existing = (await lockReservation(trx, id))!;
    const repeat = decideRepeat(toState(existing), fingerprint);
    if (repeat.kind === 'conflict') return { kind: 'conflict', why: repeat.why, status: existing.status };
    return { kind: 'replayed', reservation: toReservation(existing) };
  }
  // Announced before the levels are locked: the event is about the reservation (its row is ours
  // already), and a hot product's row lock is then held for two statements only. A refusal rolls it back.
  await deps.events.publish(
    trx,
    StockReserved,
    {
      reservationId: id,
      orderId,
      items: request.lines,
      expiresAt: expiresAt.toISOString(),
      reservedAt: now.toISOString(),
    },
    { subject: id, time: now },
  );
  const moved = moveStock(
    await lockLevels(
      trx,
      request.lines.map((l) => l.productId),
    ),
    'reserve',
    request.lines,
  );
  if (!moved.ok) return { kind: 'insufficient', shortage: moved.shortage };
  await writeLevels(trx, deps.events, moved, now);
  return { kind: 'held', reservation: toReservation(inserted) };
}

/**
 * The confirmed order's held reservation committed in one statement, in the
 * transaction `trx` (the event's inbox transaction): the reservation row is
 * locked by its update, then the levels in product-id order, as applyCommand
 * locks them; StockCommitted goes to the outbox in the same statement. It
 * applies only to what decide() answers with a plain commit (HELD, this
 * order's) and only when `lines` (the order's, normalised) are the
 * reservation's items, which the event then carries; otherwise nothing is
 * written and the answer is undefined, for applyCommand to decide. A commit
 * moves units already held, so it never changes what is available: no StockLow.
 */
export async function commitHeld(
  trx: InventoryDatabase,
  deps: OneStatementDeps,
  request: { id: string; orderId: string; lines: StockLine[] },
): Promise<Reservation | undefined> {
  const now = new Date(deps.clock.now());
  const id = request.id.toLowerCase();
  const orderId = request.orderId.toLowerCase();
  const announced = deps.events.publishing(
    trx,
    [
      {
        contract: StockCommitted,
        data: { reservationId: id, orderId, items: request.lines, committedAt: now.toISOString() },
        options: { subject: id, time: now },
      },
    ],
    sql`held`,
  );
  const { rows } = await sql<ReservationRow & { moved: number }>`
    with held as (
      update reservations set status = 'COMMITTED', reason = 'committed', updated_at = ${now}
      where id = ${id} and status = 'HELD' and order_id = ${orderId} and items = ${JSON.stringify(request.lines)}::jsonb
      returning ${sql.join(columns.map((c) => sql.ref(c)))}),
    need (product_id, quantity) as (values ${needed(request.lines)}),
    locked as (
      select s.product_id from stock_levels s
      where s.product_id in (select product_id from need) and exists (select from held)
      order by s.product_id
      for update of s),
    moved as (
      update stock_levels s set on_hand = s.on_hand - n.quantity, reserved = s.reserved - n.quantity, updated_at = ${now}
      from need n
      where s.product_id = n.product_id and (select count(*) from locked) = ${request.lines.length}
      returning s.product_id),
    announced as (${announced})
    select held.*, (select count(*) from moved)::int as moved from held`.execute(trx);
  const row = rows[0];
  if (!row) return undefined;
  // The CHECK constraints refuse negative levels; a missing one would leave the books wrong: the transaction is undone.
  if (row.moved !== request.lines.length)
    throw new Error(
      `commit of ${id}: inventory has no level for some of its products (${row.moved} of ${request.lines.length} moved)`,
    );
  return toReservation(row);
}

/** Decides `command` against the locked reservation and applies it: status, levels and the event, in `trx`. */
export async function applyCommand(
  trx: InventoryDatabase,
  deps: ReservationStoreDeps,
  id: string,
  command: ReservationCommand,
): Promise<ApplyOutcome> {
  const now = new Date(deps.clock.now());
  const row = await lockReservation(trx, id);
  const decision = decide(command, row && toState(row));
  switch (decision.kind) {
    case 'unchanged':
      return { kind: 'unchanged', reservation: toReservation(row!) };
    case 'refused':
      return { kind: 'refused', why: decision.why, ...(row ? { reservation: toReservation(row) } : {}) };
    case 'tombstone':
      return tombstone(trx, deps, id, command.kind === 'release' ? command.reason : undefined, now);
    case 'change':
      break;
  }
  const state = row!;
  const moved = moveStock(
    await lockLevels(
      trx,
      state.items.map((l) => l.productId),
    ),
    decision.move,
    state.items,
  );
  if (!moved.ok) return { kind: 'short', shortage: moved.shortage, reservation: toReservation(state) };
  await writeLevels(trx, deps.events, moved, now);
  const reason = command.kind === 'release' || command.kind === 'return' ? (command.reason ?? decision.reason) : decision.reason;
  const updated = await trx
    .updateTable('reservations')
    .set({ status: decision.to, reason, updated_at: now })
    .where('id', '=', state.id)
    .returning(columns)
    .executeTakeFirstOrThrow();
  await announce(trx, deps.events, decision, state, reason, now);
  return { kind: 'changed', reservation: toReservation(updated) };
}

async function announce(
  trx: InventoryDatabase,
  events: Pick<Events, 'publish'>,
  decision: Extract<Decision, { kind: 'change' }>,
  state: ReservationRow,
  reason: string,
  now: Date,
): Promise<void> {
  const base = { reservationId: state.id, orderId: state.order_id!, items: state.items };
  const options = { subject: state.id, time: now };
  const at = now.toISOString();
  // StockReleased's reason is its kind ('released' or 'expired', as the contract says); StockReturned's says why.
  if (decision.announce === 'StockReleased')
    await events.publish(trx, StockReleased, { ...base, reason: decision.reason, releasedAt: at }, options);
  else if (decision.announce === 'StockCommitted')
    await events.publish(trx, StockCommitted, { ...base, committedAt: at }, options);
  else await events.publish(trx, StockReturned, { ...base, reason, returnedAt: at }, options);
}

/** Records a release of an id never reserved; a reserve that raced it in wins, and is then released normally. */
async function tombstone(
  trx: InventoryDatabase,
  deps: ReservationStoreDeps,
  id: string,
  reason: string | undefined,
  now: Date,
): Promise<ApplyOutcome> {
  const inserted = await trx
    .insertInto('reservations')
    .values({
      id: id.toLowerCase(),
      order_id: null,
      status: 'RELEASED',
      items: '[]',
      fingerprint: null,
      expires_at: null,
      reason: reason ?? 'released before reserved',
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning(columns)
    .executeTakeFirst();
  if (inserted) return { kind: 'tombstone', reservation: toReservation(inserted) };
  return applyCommand(trx, deps, id, { kind: 'release', ...(reason !== undefined ? { reason } : {}) });
}

export async function findReservation(db: InventoryDatabase, id: string): Promise<Reservation | undefined> {
  const row = await db.selectFrom('reservations').select(columns).where('id', '=', id.toLowerCase()).executeTakeFirst();
  return row && toReservation(row);
}

/** Ids of the order's reservations in a status, locked in id order. */
export async function reservationsOfOrder(trx: InventoryDatabase, orderId: string, status: ReservationStatus): Promise<string[]> {
  const rows = await trx
    .selectFrom('reservations')
    .select('id')
    .where('order_id', '=', orderId.toLowerCase())
    .where('status', '=', status)
    .orderBy('id')
    .forUpdate()
    .execute();
  return rows.map((r) => r.id);
}
