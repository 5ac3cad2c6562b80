// A reservation's life cycle as pure functions: normalising and fingerprinting
// a reserve request, telling a replay from a conflict, and decide(command,
// state) for every later step (release, commit, expire, the order confirmed,
// the shipment failed). The store applies what these decide.

import { createHash } from 'node:crypto';
import type { ReservationStatus, StockLine } from '../../contract.ts';
import type { StockMove } from '../stock/stock-rules.ts';

export interface ReservationState {
  id: string;
  orderId: string | null;
  status: ReservationStatus;
  /** Sorted by product id, one line per product. */
  items: StockLine[];
  fingerprint: string | null;
  expiresAt: Date | null;
}

export interface ReserveRequest {
  orderId: string;
  items: readonly StockLine[];
  ttlSeconds?: number | undefined;
}

/**
 * Lines in one canonical form: lower-case ids sorted (the order in which level
 * rows are locked, so two reservations never wait on each other in a cycle).
 * A product named twice is refused rather than merged: the caller has a bug.
 */
export function normalizeLines(items: readonly StockLine[]): { ok: true; lines: StockLine[] } | { ok: false; duplicate: string } {
  const lines = items.map((l) => ({ productId: l.productId.toLowerCase(), quantity: l.quantity }));
  lines.sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.productId === lines[i - 1]!.productId) return { ok: false, duplicate: lines[i]!.productId };
  }
  return { ok: true, lines };
}

/**
 * Same order, same lines (in any order): the same request, so a repeat is a replay. The ttl is left
 * out: a caller whose setting changed between attempts (a rolling deploy) still means the same hold.
 */
export function reserveFingerprint(request: ReserveRequest): string {
  const normal = normalizeLines(request.items);
  const lines = normal.ok ? normal.lines : request.items;
  const canonical = JSON.stringify({
    orderId: request.orderId.toLowerCase(),
    items: lines.map((l) => [l.productId.toLowerCase(), l.quantity]),
  });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** A reserve whose id already exists: the same request again gets the current state; anything else is refused. */
export function decideRepeat(
  existing: ReservationState,
  fingerprint: string,
): { kind: 'replay' } | { kind: 'conflict'; why: string } {
  // Released (by the saga, or before it was ever made: a tombstone) means the caller gave up on it: never hold stock for it again.
  if (existing.status === 'RELEASED') return { kind: 'conflict', why: 'it was released' };
  if (existing.fingerprint !== fingerprint) return { kind: 'conflict', why: 'it was made for another order or other lines' };
  return { kind: 'replay' };
}

export type ReservationCommand =
  | { kind: 'release'; reason?: string | undefined }
  | { kind: 'commit' }
  | { kind: 'expire'; now: Date }
  /** orders' OrderConfirmed for this reservation. */
  | { kind: 'confirm'; orderId: string }
  /** shipping's ShipmentFailed for the reservation's order. */
  | { kind: 'return'; reason: string };

export type Announcement = 'StockReleased' | 'StockCommitted' | 'StockReturned';

export type Decision =
  | { kind: 'change'; to: ReservationStatus; move: StockMove; announce: Announcement; reason: string }
  /** A release of an id never reserved: record it as released, so a late reserve is refused. */
  | { kind: 'tombstone' }
  | { kind: 'unchanged' }
  | { kind: 'refused'; why: 'unknown' | 'not-held' | 'released' | 'other-order' };

export function decide(command: ReservationCommand, state: ReservationState | undefined): Decision {
  const status = state?.status;
  switch (command.kind) {
    case 'release':
      if (!state) return { kind: 'tombstone' };
      if (status === 'HELD') return change('RELEASED', 'release', 'StockReleased', 'released');
      // Compensating a confirmed order: the committed units come back.
      if (status === 'COMMITTED') return change('RETURNED', 'return', 'StockReturned', command.reason ?? 'released');
      return { kind: 'unchanged' };
    case 'commit':
      if (!state) return { kind: 'refused', why: 'unknown' };
      // Past expiresAt but not swept yet still counts as held: the units are still set aside.
      if (status === 'HELD') return change('COMMITTED', 'commit', 'StockCommitted', 'committed');
      if (status === 'COMMITTED' || status === 'RETURNED') return { kind: 'unchanged' };
      return { kind: 'refused', why: 'not-held' };
    case 'expire':
      if (status === 'HELD' && state!.expiresAt !== null && state!.expiresAt.getTime() <= command.now.getTime()) {
        return change('EXPIRED', 'release', 'StockReleased', 'expired');
      }
      return { kind: 'unchanged' };
    case 'confirm':
      if (!state) return { kind: 'refused', why: 'unknown' };
      if (state.orderId !== command.orderId.toLowerCase()) return { kind: 'refused', why: 'other-order' };
      if (status === 'HELD') return change('COMMITTED', 'commit', 'StockCommitted', 'committed');
      // Confirmed too late: the hold expired, so take the units again if they are still there.
      if (status === 'EXPIRED') return change('COMMITTED', 'take', 'StockCommitted', 'committed after expiry');
      if (status === 'RELEASED') return { kind: 'refused', why: 'released' };
      return { kind: 'unchanged' };
    case 'return':
      if (status === 'COMMITTED') return change('RETURNED', 'return', 'StockReturned', command.reason);
      return { kind: 'unchanged' };
  }
}

function change(to: ReservationStatus, move: StockMove, announce: Announcement, reason: string): Decision {
  return { kind: 'change', to, move, announce, reason };
}
