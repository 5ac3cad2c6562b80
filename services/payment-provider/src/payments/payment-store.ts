// Authorizations, captures and refunds in PostgreSQL. Writes take the
// transaction of the idempotent request they belong to; a state change first
// locks its authorization row, so two captures of one authorization cannot
// both see it uncaptured.

import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Authorization, AuthorizationStatus, Capture, Charges, Refund } from '../../contract.ts';
import type { AuthorizationTable, CaptureTable, RefundTable, ProviderDatabase } from '../db.ts';
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

export async function insertAuthorization(db: ProviderDatabase, input: NewAuthorization, at: Date): Promise<Authorization> {
  const row = await db
    .insertInto('authorizations')
    .values({
      id: newId('auth'),
      status: input.status,
      amount: input.amount,
      currency: input.currency,
      reference: input.reference,
      payment_method: input.paymentMethod,
      decline_code: input.declineCode,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toAuthorization({ ...row, capture_id: null });
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

async function setStatus(
  db: ProviderDatabase,
  id: string,
  changes: { status?: AuthorizationStatus; amount_captured?: number; amount_refunded?: number },
  at: Date,
) {
  await db
    .updateTable('authorizations')
    .set({ ...changes, updated_at: at })
    .where('id', '=', id)
    .execute();
}

export async function insertCapture(db: ProviderDatabase, auth: Authorization, amount: number, at: Date): Promise<Capture> {
  const row = await db
    .insertInto('captures')
    .values({ id: newId('cap'), authorization_id: auth.id, amount, created_at: at })
    .returningAll()
    .executeTakeFirstOrThrow();
  await setStatus(db, auth.id, { status: 'captured', amount_captured: amount }, at);
  return toCapture(row, auth.currency);
}

export async function markVoided(db: ProviderDatabase, id: string, at: Date): Promise<void> {
  await setStatus(db, id, { status: 'voided' }, at);
}

/** The authorization of a capture, locked for the refund that follows. */
export async function authorizationOfCapture(db: ProviderDatabase, captureId: string): Promise<Authorization | undefined> {
  const capture = await db.selectFrom('captures').select('authorization_id').where('id', '=', captureId).executeTakeFirst();
  return capture && getAuthorization(db, capture.authorization_id, { lock: true });
}

export async function insertRefund(
  db: ProviderDatabase,
  auth: Authorization,
  captureId: string,
  amount: number,
  reason: string | null,
  at: Date,
): Promise<Refund> {
  const row = await db
    .insertInto('refunds')
    .values({ id: newId('re'), capture_id: captureId, amount, reason, created_at: at })
    .returningAll()
    .executeTakeFirstOrThrow();
  await setStatus(db, auth.id, { amount_refunded: auth.amountRefunded + amount }, at);
  return toRefund(row, auth.currency);
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
