// ShipmentFailed only RECORDS the cancellation (a chassis job, kind
// payments.cancel-order, in souk_job) in the inbox transaction; the job calls
// the provider afterwards, outside any transaction. So a provider slower than the handler's deadline no
// longer fails (and dead-letters) the event, a provider outage parks the
// cancellation after a few attempts for an operator instead of losing it, and
// several instances share the work without doing any of it twice.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  API,
  assertProblem,
  authorizeBody,
  call,
  startPayments,
  startShippingStandIn,
  waitFor,
  type Harness,
  type ShippingStandIn,
} from './harness.ts';
import * as cancellationsTable from '../migrations/002_payment_cancellations.ts';
import * as cancellationsToJobs from '../migrations/003_cancellations_to_jobs.ts';

const ADMIN = '/_admin/payments/cancellations';
const JOBS = '/_admin/jobs';
const KIND = 'payments.cancel-order';
const PARK_AFTER = 3;

let shipping: ShippingStandIn;
let h: Harness;

before(async () => {
  shipping = await startShippingStandIn('payments_cancel_shipping');
  h = await startPayments('payments_cancellations', {
    services: { shipping: shipping.url },
    env: {
      EVENTS_FEED_WAIT_MS: '1000',
      EVENTS_RETRY_BASE_MS: '50',
      EVENTS_MAX_ATTEMPTS: '3',
      // A handler (and its transaction) must be done within 300 ms: far less than the slow provider below takes.
      EVENTS_HANDLER_TIMEOUT_MS: '300',
      // ...while each provider call may take up to 3 s, so the slow provider does answer.
      PAYMENTS_PROVIDER_TIMEOUT_MS: '3000',
      PAYMENTS_CANCELLATION_POLL_MS: '100',
      PAYMENTS_CANCELLATION_PARK_AFTER: String(PARK_AFTER),
      PAYMENTS_CANCELLATION_RETRY_BASE_MS: '20',
      PAYMENTS_CANCELLATION_RETRY_CAP_MS: '200',
    },
  });
});
after(async () => {
  // Shipping first: it answers payments' held poll as it drains.
  await shipping?.stop();
  await h?.close();
});

const statusOf = async (id: string) => (await h.get(`${API}/${id}`)).json.status as string;

/** A payment of a new order, authorized and captured. */
async function capturedPayment(): Promise<{ id: string; orderId: string }> {
  const body = authorizeBody();
  const id = randomUUID();
  assert.equal((await h.post(`${API}/${id}/authorize`, body)).status, 200);
  assert.equal((await h.post(`${API}/${id}/capture`)).status, 200);
  return { id, orderId: body.orderId };
}

async function cancellation(orderId: string) {
  const rows = await h.query(
    `select status, attempts, last_error, attempted_by as claimed_by from souk_job where kind = $1 and job_key = $2`,
    [KIND, orderId],
  );
  return rows[0] as { status: string; attempts: number; last_error: string | null; claimed_by: string | null } | undefined;
}

async function listed(status: string, orderId: string) {
  const res = await h.get(`${ADMIN}?status=${status}`, h.adminToken);
  assert.equal(res.status, 200, res.text);
  return (res.json.items as any[]).find((c) => c.orderId === orderId);
}

const count = async (table: string) => (await h.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n;

async function parkedGauge(): Promise<number> {
  const res = await call(h.payments.adminUrl, 'GET', '/metrics');
  const line = /^souk_jobs_parked\{[^}]*kind="payments\.cancel-order"[^}]*\} (\d+)$/m.exec(res.text);
  assert.ok(line, 'souk_jobs_parked{kind="payments.cancel-order"} is exported');
  return Number(line[1]);
}

test('a provider slower than the handler deadline: the event is handled at once, the refund made once it answers, nothing dead-lettered', async () => {
  const { id, orderId } = await capturedPayment();
  await h.provider.behave({ latencyMs: 1_500 });
  try {
    await shipping.shipmentFailed(orderId);
    // Recorded in the inbox transaction (well within 300 ms); the provider has not answered yet.
    await waitFor(async () => (await cancellation(orderId)) !== undefined, {
      what: 'the cancellation recorded',
      timeoutMs: 10_000,
    });
    await waitFor(async () => (await statusOf(id)) === 'REFUNDED', { what: 'the refund', timeoutMs: 15_000 });
  } finally {
    await h.provider.behave({ latencyMs: 0 });
  }
  await waitFor(async () => (await cancellation(orderId))?.status === 'DONE', {
    what: 'the cancellation done',
    timeoutMs: 5_000,
  });
  assert.deepEqual(await cancellation(orderId), {
    status: 'DONE',
    attempts: 1,
    last_error: null,
    claimed_by: h.payments.ctx.instanceId,
  });
  const charges = await h.provider.charges(id);
  assert.deepEqual([charges.captures.length, charges.refunds.length, charges.net], [1, 1, 0]);
  // The handler never failed, so the event was never redelivered, let alone parked.
  assert.equal(await count('souk_event_failure'), 0);
  assert.equal(await count('souk_dead_letter'), 0);
});

test('provider down: retried with backoff, PARKED after the attempts; up again, an operator retry refunds exactly once', async () => {
  const { id, orderId } = await capturedPayment();
  const parkedBefore = await parkedGauge();
  await h.provider.behave({ outage: true });
  let parked: any;
  try {
    await shipping.shipmentFailed(orderId);
    parked = await waitFor(() => listed('PARKED', orderId), { what: 'the cancellation parked', timeoutMs: 15_000 });
  } finally {
    await h.provider.behave({ outage: false });
  }
  assert.equal(parked.attempts, PARK_AFTER);
  assert.match(parked.lastError, /SOUK_PAYMENTS_PROVIDER_UNAVAILABLE/);
  assert.equal(parked.reason, 'shipment failed (CARRIER_REFUSED): the carrier refused the parcel');
  assert.equal(await listed('PENDING', orderId), undefined);
  assert.equal(await parkedGauge(), parkedBefore + 1);
  // The chassis' jobs routes show the same job, parked, with the same attempts and error.
  const jobs = await h.get(`${JOBS}?status=PARKED&kind=${KIND}`, h.adminToken);
  assert.equal(jobs.status, 200, jobs.text);
  const job = (jobs.json.jobs as any[]).find((j) => j.key === orderId);
  assert.deepEqual([job?.status, job?.attempts, job?.lastError], ['PARKED', PARK_AFTER, parked.lastError]);
  assertProblem(await h.get(`${JOBS}?status=PARKED`), 403, 'SOUK_AUTH_FORBIDDEN');
  // Parked means nobody retries it on its own: the money is still taken.
  assert.equal(await statusOf(id), 'CAPTURED');
  assert.equal((await h.provider.charges(id)).refunds.length, 0);

  // Only an admin may retry.
  assertProblem(await h.post(`${ADMIN}/${orderId}/retry`), 403, 'SOUK_AUTH_FORBIDDEN');
  assertProblem(
    await h.post(`${ADMIN}/${randomUUID()}/retry`, undefined, h.adminToken),
    404,
    'SOUK_PAYMENTS_CANCELLATION_NOT_FOUND',
  );
  const retried = await h.post(`${ADMIN}/${orderId}/retry`, undefined, h.adminToken);
  assert.equal(retried.status, 200, retried.text);
  assert.deepEqual([retried.json.status, retried.json.attempts], ['PENDING', 0]);

  await waitFor(() => listed('DONE', orderId), { what: 'the cancellation done', timeoutMs: 15_000 });
  assert.equal(await statusOf(id), 'REFUNDED');
  const charges = await h.provider.charges(id);
  assert.deepEqual([charges.captures.length, charges.refunds.length, charges.net], [1, 1, 0]);
  const ledger = (await h.get(`${API}/${id}/events`)).json.events.map((e: { type: string }) => e.type);
  assert.equal(ledger.filter((t: string) => t === 'PaymentRefunded').length, 1);
  assert.equal(ledger.filter((t: string) => t === 'RefundRequested').length, 1, 'every attempt resent the one recorded refund');
  assert.equal(await parkedGauge(), parkedBefore);
  assertProblem(await h.post(`${ADMIN}/${orderId}/retry`, undefined, h.adminToken), 409, 'SOUK_PAYMENTS_CANCELLATION_DONE');
  assertProblem(await h.post(`${JOBS}/${job.id}/retry`, undefined, h.adminToken), 409, 'SOUK_JOB_DONE');
  // The event itself was handled once, at once.
  assert.equal(await count('souk_dead_letter'), 0);
  assert.equal(await count('souk_event_failure'), 0);
});

test('two instances share the cancellations (SKIP LOCKED and a lease): each order refunded once, by one attempt', async (t) => {
  const second = await h.startInstance();
  const orders: { id: string; orderId: string }[] = [];
  for (let i = 0; i < 8; i++) orders.push(await capturedPayment());
  // Slow answers keep the first instance busy, so the second one finds due work when it polls.
  await h.provider.behave({ latencyMs: 400 });
  try {
    for (const { orderId } of orders) await shipping.shipmentFailed(orderId);
    await waitFor(
      async () => {
        const rows = await h.query<{ n: number }>(
          `select count(*)::int as n from souk_job where kind = $1 and job_key = any($2::text[]) and status = 'DONE'`,
          [KIND, orders.map((o) => o.orderId)],
        );
        return rows[0]!.n === orders.length;
      },
      { what: 'every cancellation done', timeoutMs: 30_000 },
    );
  } finally {
    await h.provider.behave({ latencyMs: 0 });
  }
  const workers = new Set<string | null>();
  for (const { id, orderId } of orders) {
    const row = (await cancellation(orderId))!;
    assert.equal(row.attempts, 1, `order ${orderId} was claimed once`);
    workers.add(row.claimed_by);
    assert.equal(await statusOf(id), 'REFUNDED');
    assert.equal((await h.provider.charges(id)).refunds.length, 1);
  }
  t.diagnostic(`worked by: ${[...workers].join(', ')}`);
  assert.deepEqual([...workers].sort(), [h.payments.ctx.instanceId, second.ctx.instanceId].sort());
});

test('a claim whose lease expired (its instance died) is taken over; a claim under a live lease is left to its holder', async () => {
  const orphan = await capturedPayment();
  const held = await capturedPayment();
  // What instances leave behind: one died mid-attempt a second ago, the other is still working (lease for an hour).
  const claimed = (orderId: string, until: string) =>
    h.query(
      `insert into souk_job (id, kind, job_key, payload, status, attempts, next_attempt_at, lease_owner, lease_until, attempted_by)
     values (gen_random_uuid()::text, $1, $2, jsonb_build_object('orderId', $2::text, 'eventId', $3::text, 'reason', 'shipment failed (LOST): lost'),
             'PENDING', 1, now() - interval '1 minute', 'payments-gone', now() + $4::interval, 'payments-gone')`,
      [KIND, orderId, randomUUID(), until],
    );
  await claimed(held.orderId, '1 hour');
  await claimed(orphan.orderId, '-1 second');

  await waitFor(async () => (await cancellation(orphan.orderId))?.status === 'DONE', {
    what: 'the orphaned cancellation done',
    timeoutMs: 10_000,
  });
  const taken = (await cancellation(orphan.orderId))!;
  assert.equal(taken.attempts, 2);
  assert.notEqual(taken.claimed_by, 'payments-gone');
  assert.equal(await statusOf(orphan.id), 'REFUNDED');
  // Both were due when the worker ran: the one under a live lease was not touched.
  assert.deepEqual(await cancellation(held.orderId), {
    status: 'PENDING',
    attempts: 1,
    last_error: null,
    claimed_by: 'payments-gone',
  });
  assert.equal(await statusOf(held.id), 'CAPTURED');
  // An operator's retry does not break a live lease either: it only makes the cancellation due.
  const retried = await h.post(`${ADMIN}/${held.orderId}/retry`, undefined, h.adminToken);
  assert.equal(retried.status, 200, retried.text);
  assert.equal(retried.json.claimedBy, 'payments-gone');
  assert.ok(retried.json.claimedUntil);
});

test('migration 003 moves the cancellations of payment_cancellations into souk_job: a pending one is carried out, a parked one stays parked', async () => {
  const pending = await capturedPayment();
  const parked = await capturedPayment();
  // The table as it was before the jobs module (migration 002), with what it held: 003 ran at start on an empty one.
  const { db } = h.payments.ctx;
  await cancellationsTable.up(db);
  const eventId = randomUUID();
  await h.query(
    `insert into payment_cancellations (order_id, event_id, reason, status, attempts, next_attempt_at, claimed_by, claim_id, claimed_until, last_error, created_at, updated_at)
     values ($1, $2, 'shipment failed (LOST): lost', 'PENDING', 2, now(), 'payments-old', gen_random_uuid(), now() - interval '1 minute', 'SOUK_PAYMENTS_PROVIDER_UNAVAILABLE: down', now(), now()),
            ($3, $2, 'shipment failed (LOST): lost', 'PARKED', 3, now(), 'payments-old', null, null, 'SOUK_PAYMENTS_PROVIDER_UNAVAILABLE: down', now(), now())`,
    [pending.orderId, eventId, parked.orderId],
  );
  await cancellationsToJobs.up(db);
  assert.deepEqual(await h.query(`select to_regclass('payment_cancellations') as t`), [{ t: null }]);

  await waitFor(async () => (await cancellation(pending.orderId))?.status === 'DONE', {
    what: 'the moved cancellation done',
    timeoutMs: 10_000,
  });
  assert.equal(await statusOf(pending.id), 'REFUNDED');
  assert.equal((await cancellation(pending.orderId))!.attempts, 3, 'its attempts carried over, one more made');
  const moved = await listed('PARKED', parked.orderId);
  assert.deepEqual(
    [moved?.status, moved?.attempts, moved?.eventId, moved?.reason, moved?.lastError, moved?.claimedBy, moved?.claimedUntil],
    ['PARKED', 3, eventId, 'shipment failed (LOST): lost', 'SOUK_PAYMENTS_PROVIDER_UNAVAILABLE: down', 'payments-old', null],
  );
  assert.equal(await statusOf(parked.id), 'CAPTURED');
});
