// Authorizations, captures and refunds in PostgreSQL. Writes are built, not
// run: the idempotent request makes them in the statement that records its
// key (idempotency-store.ts), each guarded by that record. A state change
// first locks its authorization row in the request's transaction, so two
// captures of one authorization cannot both see it uncaptured.

import { randomBytes } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { Authorization, AuthorizationStatus, Capture, Charges, Refund } from '../../contract.ts';
import type { AuthorizationTable, CaptureTable, RefundTable, ProviderDatabase } from '../db.ts';
import type { GuardedWrite } from '../idempotency/idempotency-store.ts';
import type { AuthorizationState } from './payment-rules.ts';

type AuthorizationRow = Selectable<AuthorizationTable> & { capture_id: string | null };

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Processor-style ids: a prefix saying what it is and 24 random base62 characters. */
export function newId(prefix: 'auth' | 'cap' | 're'): string {
  const bytes = randomBytes(24);
  // The small modulo bias is harmless: ids must be unique and unguessable (~140 bits), not uniform.
  return `${prefix}_${Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('')}`;
}

export function toAuthorization(row: AuthorizationRow): Authorization {
  return {
    id: row.id,
    status: row.status,
    amount: row.amount,
    currency: row.currency,
    reference: row.reference,
    paymentMethod: row.payment_method,
    declineCode: row.decline_code,
    amountCaptured: row.amount_captured,
    amountRefunded: row.amount_refunded,
    captureId: row.capture_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function stateOf(a: Authorization): AuthorizationState {
  return { id: a.id, status: a.status, amount: a.amount, amountCaptured: a.amountCaptured, amountRefunded: a.amountRefunded };
}

function toCapture(row: Selectable<CaptureTable>, currency: string): Capture {
  return {
    id: row.id,
    authorizationId: row.authorization_id,
    amount: row.amount,
    currency,
    status: 'captured',
    createdAt: row.created_at.toISOString(),
  };
}

function toRefund(row: Selectable<RefundTable>, currency: string): Refund {
  return {
    id: row.id,
    captureId: row.capture_id,
    amount: row.amount,
    currency,
    reason: row.reason,
    status: 'refunded',
    createdAt: row.created_at.toISOString(),
  };
}

const selectAuthorizations = (db: ProviderDatabase) =>
  db
    .selectFrom('authorizations as a')
    .leftJoin('captures as c', 'c.authorization_id', 'a.id')
    .selectAll('a')
    .select('c.id as capture_id');

export interface NewAuthorization {
  amount: number;
  currency: string;
  reference: string;
  paymentMethod: string;
  status: 'authorized' | 'declined';
  declineCode: string | null;
}

/** A new authorization (approved or declined) and the write that stores it. */
export function newAuthorization(input: NewAuthorization, at: Date): { authorization: Authorization; write: GuardedWrite } {
  const id = newId('auth');
  const authorization: Authorization = {
    id,
    status: input.status,
    amount: input.amount,
    currency: input.currency,
    reference: input.reference,
    paymentMethod: input.paymentMethod,
    declineCode: input.declineCode,
    amountCaptured: 0,
    amountRefunded: 0,
    captureId: null,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
  };
  const write: GuardedWrite = (claimed) => sql`
    insert into authorizations (id, status, amount, currency, reference, payment_method, decline_code, created_at, updated_at)
    select ${id}, ${input.status}, ${input.amount}, ${input.currency}, ${input.reference}, ${input.paymentMethod},
           ${input.declineCode}, ${at}, ${at}
    from ${claimed}`;
  return { authorization, write };
}

export async function getAuthorization(
  db: ProviderDatabase,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Authorization | undefined> {
  let query = selectAuthorizations(db).where('a.id', '=', id);
  // `for update of a`: the capture side of the outer join cannot be locked (it may be null).
  if (options.lock) query = query.forUpdate(['a']);
  const row = await query.executeTakeFirst();
  return row && toAuthorization(row);
}

/** Moves a locked authorization on, with the record of the request that does it. */
function changeAuthorization(
  id: string,
  changes: { status?: AuthorizationStatus; amountCaptured?: number; amountRefunded?: number },
  at: Date,
): GuardedWrite {
  return (claimed) => sql`
    update authorizations set
      status = coalesce(${changes.status ?? null}, status),
      amount_captured = coalesce(${changes.amountCaptured ?? null}::integer, amount_captured),
      amount_refunded = coalesce(${changes.amountRefunded ?? null}::integer, amount_refunded),
      updated_at = ${at}
    where id = ${id} and exists (select from ${claimed})`;
}

/** The capture of `amount` of a locked, authorized `auth`, and its writes. */
export function newCapture(auth: Authorization, amount: number, at: Date): { capture: Capture; writes: GuardedWrite[] } {
  const id = newId('cap');
  const capture = toCapture({ id, authorization_id: auth.id, amount, created_at: at }, auth.currency);
  const insert: GuardedWrite = (claimed) => sql`
    insert into captures (id, authorization_id, amount, created_at) select ${id}, ${auth.id}, ${amount}, ${at} from ${claimed}`;
  return { capture, writes: [insert, changeAuthorization(auth.id, { status: 'captured', amountCaptured: amount }, at)] };
}

/** A locked authorization voided: what it is afterwards, and the write. */
export function voided(auth: Authorization, at: Date): { authorization: Authorization; write: GuardedWrite } {
  return {
    authorization: { ...auth, status: 'voided', updatedAt: at.toISOString() },
    write: changeAuthorization(auth.id, { status: 'voided' }, at),
  };
}

/** The authorization of a capture, locked for the refund that follows (one statement). */
export async function authorizationOfCapture(db: ProviderDatabase, captureId: string): Promise<Authorization | undefined> {
  const row = await selectAuthorizations(db)
    .innerJoin('captures as r', 'r.authorization_id', 'a.id')
    .where('r.id', '=', captureId)
    .forUpdate(['a'])
    .executeTakeFirst();
  return row && toAuthorization(row);
}

/** A refund of `amount` of a capture of the locked `auth`, and its writes. */
export function newRefund(
  auth: Authorization,
  captureId: string,
  amount: number,
  reason: string | null,
  at: Date,
): { refund: Refund; writes: GuardedWrite[] } {
  const id = newId('re');
  const refund = toRefund({ id, capture_id: captureId, amount, reason, created_at: at }, auth.currency);
  const insert: GuardedWrite = (claimed) => sql`
    insert into refunds (id, capture_id, amount, reason, created_at) select ${id}, ${captureId}, ${amount}, ${reason}, ${at} from ${claimed}`;
  return { refund, writes: [insert, changeAuthorization(auth.id, { amountRefunded: auth.amountRefunded + amount }, at)] };
}

/** Newest first; all of them when no reference is given (up to `limit`). */
export async function listAuthorizations(
  db: ProviderDatabase,
  reference: string | undefined,
  limit: number,
): Promise<Authorization[]> {
  let query = selectAuthorizations(db);
  if (reference !== undefined) query = query.where('a.reference', '=', reference);
  const rows = await query.orderBy('a.created_at', 'desc').orderBy('a.id', 'desc').limit(limit).execute();
  return rows.map(toAuthorization);
}

/** Every authorization, capture and refund of a reference, oldest first, with the totals. */
export async function chargesOf(db: ProviderDatabase, reference: string): Promise<Charges> {
  const authorizations = (
    await selectAuthorizations(db).where('a.reference', '=', reference).orderBy('a.created_at').orderBy('a.id').execute()
  ).map(toAuthorization);
  const currencyOf = new Map(authorizations.map((a) => [a.id, a.currency]));
  const ids = authorizations.map((a) => a.id);
  const captureRows =
    ids.length === 0
      ? []
      : await db
          .selectFrom('captures')
          .selectAll()
          .where('authorization_id', 'in', ids)
          .orderBy('created_at')
          .orderBy('id')
          .execute();
  const captures = captureRows.map((c) => toCapture(c, currencyOf.get(c.authorization_id) ?? ''));
  const captureCurrency = new Map(captures.map((c) => [c.id, c.currency]));
  const refundRows =
    captures.length === 0
      ? []
      : await db
          .selectFrom('refunds')
          .selectAll()
          .where(
            'capture_id',
            'in',
            captures.map((c) => c.id),
          )
          .orderBy('created_at')
          .orderBy('id')
          .execute();
  const refunds = refundRows.map((r) => toRefund(r, captureCurrency.get(r.capture_id) ?? ''));
  const amountCaptured = captures.reduce((sum, c) => sum + c.amount, 0);
  const amountRefunded = refunds.reduce((sum, r) => sum + r.amount, 0);
  return { reference, authorizations, captures, refunds, amountCaptured, amountRefunded, net: amountCaptured - amountRefunded };
}
