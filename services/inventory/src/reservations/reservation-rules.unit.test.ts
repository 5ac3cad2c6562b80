// A reservation's life cycle: request normalising and fingerprints, replay
// versus conflict, and decide(command, state) for every step from every status.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReservationStatus } from '../../contract.ts';
import { decide, decideRepeat, normalizeLines, reserveFingerprint, type ReservationState } from './reservation-rules.ts';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const ORDER = '00000000-0000-4000-8000-0000000000f0';
const now = new Date('2025-06-01T12:00:00.000Z');

const state = (status: ReservationStatus, extra: Partial<ReservationState> = {}): ReservationState => ({
  id: '00000000-0000-4000-8000-000000000001',
  orderId: ORDER,
  status,
  items: [{ productId: A, quantity: 1 }],
  fingerprint: 'f',
  expiresAt: new Date(now.getTime() + 1000),
  ...extra,
});

test('lines are sorted by lower-case product id; a product named twice is refused', () => {
  assert.deepEqual(
    normalizeLines([
      { productId: B, quantity: 1 },
      { productId: A.toUpperCase(), quantity: 2 },
    ]),
    {
      ok: true,
      lines: [
        { productId: A, quantity: 2 },
        { productId: B, quantity: 1 },
      ],
    },
  );
  assert.deepEqual(
    normalizeLines([
      { productId: A, quantity: 1 },
      { productId: A.toUpperCase(), quantity: 1 },
    ]),
    { ok: false, duplicate: A },
  );
});

test('the fingerprint ignores line order, id case and the ttl, and sees every other difference', () => {
  const base = {
    orderId: ORDER,
    items: [
      { productId: A, quantity: 1 },
      { productId: B, quantity: 2 },
    ],
  };
  const f = reserveFingerprint(base);
  assert.equal(reserveFingerprint({ orderId: ORDER.toUpperCase(), items: [...base.items].reverse() }), f);
  assert.notEqual(reserveFingerprint({ ...base, orderId: B }), f);
  assert.notEqual(reserveFingerprint({ ...base, items: [{ productId: A, quantity: 1 }] }), f);
  assert.notEqual(
    reserveFingerprint({
      ...base,
      items: [
        { productId: A, quantity: 2 },
        { productId: B, quantity: 2 },
      ],
    }),
    f,
  );
  // A retry after the caller's ttl setting changed (a rolling deploy) is still the same hold.
  assert.equal(reserveFingerprint({ ...base, ttlSeconds: 60 }), f);
});

test('a repeated reserve: replay when it is the same request and not released; conflict otherwise', () => {
  assert.deepEqual(decideRepeat(state('HELD'), 'f'), { kind: 'replay' });
  assert.deepEqual(decideRepeat(state('EXPIRED'), 'f'), { kind: 'replay' });
  assert.deepEqual(decideRepeat(state('COMMITTED'), 'f'), { kind: 'replay' });
  assert.equal(decideRepeat(state('HELD'), 'g').kind, 'conflict');
  assert.equal(decideRepeat(state('RELEASED'), 'f').kind, 'conflict');
  assert.equal(decideRepeat(state('RELEASED', { orderId: null, fingerprint: null, items: [] }), 'f').kind, 'conflict');
});

const kinds = (command: Parameters<typeof decide>[0]) =>
  Object.fromEntries(
    (['HELD', 'RELEASED', 'COMMITTED', 'RETURNED', 'EXPIRED', undefined] as const).map((s) => {
      const d = decide(command, s && state(s));
      return [
        s ?? 'none',
        d.kind === 'change' ? `${d.to} by ${d.move}: ${d.announce}` : d.kind === 'refused' ? `refused ${d.why}` : d.kind,
      ];
    }),
  );

test('release', () => {
  assert.deepEqual(kinds({ kind: 'release' }), {
    HELD: 'RELEASED by release: StockReleased',
    COMMITTED: 'RETURNED by return: StockReturned',
    RELEASED: 'unchanged',
    RETURNED: 'unchanged',
    EXPIRED: 'unchanged',
    none: 'tombstone',
  });
  const d = decide({ kind: 'release', reason: 'PAYMENT_DECLINED' }, state('COMMITTED'));
  assert.equal(d.kind === 'change' && d.reason, 'PAYMENT_DECLINED');
  const r = decide({ kind: 'release', reason: 'PAYMENT_DECLINED' }, state('HELD'));
  assert.equal(r.kind === 'change' && r.reason, 'released', "StockReleased's reason is its kind");
});

test('commit', () => {
  assert.deepEqual(kinds({ kind: 'commit' }), {
    HELD: 'COMMITTED by commit: StockCommitted',
    COMMITTED: 'unchanged',
    RETURNED: 'unchanged',
    RELEASED: 'refused not-held',
    EXPIRED: 'refused not-held',
    none: 'refused unknown',
  });
  // Held past its expiry but not swept yet: the units are still set aside.
  assert.equal(decide({ kind: 'commit' }, state('HELD', { expiresAt: new Date(0) })).kind, 'change');
});

test('expire: only a HELD reservation whose expiry has come', () => {
  assert.deepEqual(kinds({ kind: 'expire', now: new Date(now.getTime() + 1000) }), {
    HELD: 'EXPIRED by release: StockReleased',
    COMMITTED: 'unchanged',
    RETURNED: 'unchanged',
    RELEASED: 'unchanged',
    EXPIRED: 'unchanged',
    none: 'unchanged',
  });
  assert.equal(decide({ kind: 'expire', now: new Date(now.getTime() + 999) }, state('HELD')).kind, 'unchanged');
  const d = decide({ kind: 'expire', now: new Date(now.getTime() + 1000) }, state('HELD'));
  assert.equal(d.kind === 'change' && d.reason, 'expired');
});

test('the order confirmed: commit a hold, take again after expiry, refuse what cannot be right', () => {
  assert.deepEqual(kinds({ kind: 'confirm', orderId: ORDER }), {
    HELD: 'COMMITTED by commit: StockCommitted',
    EXPIRED: 'COMMITTED by take: StockCommitted',
    COMMITTED: 'unchanged',
    RETURNED: 'unchanged',
    RELEASED: 'refused released',
    none: 'refused unknown',
  });
  assert.deepEqual(decide({ kind: 'confirm', orderId: B }, state('HELD')), { kind: 'refused', why: 'other-order' });
  assert.equal(decide({ kind: 'confirm', orderId: ORDER.toUpperCase() }, state('HELD')).kind, 'change');
});

test('the shipment failed: only committed units come back', () => {
  assert.deepEqual(kinds({ kind: 'return', reason: 'SHIPMENT_FAILED' }), {
    COMMITTED: 'RETURNED by return: StockReturned',
    HELD: 'unchanged',
    RELEASED: 'unchanged',
    RETURNED: 'unchanged',
    EXPIRED: 'unchanged',
    none: 'unchanged',
  });
});
