// Event store benchmark: how long loading a payment takes from a stream of
// 10,000 events, replaying every event versus starting from the newest usable
// snapshot, for the current state and for an as-of read. Prints the median of
// several loads and how many events each load applied. Run with
// `npm run bench:event-store` (needs PostgreSQL on 127.0.0.1:5432 or
// SOUK_TEST_DATABASE_URL; uses a temporary database); `npm run bench` runs it
// with the others.

import { isDeepStrictEqual } from 'node:util';
import { sql } from 'kysely';
import { createEventStore, defineService, startService, type Loaded, type NewEvent } from '@souk/chassis';
import { createTestDatabase } from '@souk/chassis/testing';
import type { PaymentEvent } from '../../services/payments/src/payment/payment-events.ts';
import { paymentFold, type PaymentState } from '../../services/payments/src/payment/payment-state.ts';
import { isMain, log, runStandalone, type BenchResult, type TableRow } from '../report.ts';
import { positive } from '../settings.ts';

export interface EventStoreSettings {
  events: number;
  snapshotEvery: number;
  runs: number;
}

export const eventStoreSettings = (): EventStoreSettings => ({
  events: positive('BENCH_EVENTS', 10_000),
  snapshotEvery: positive('BENCH_SNAPSHOT_EVERY', 50), // PAYMENTS_SNAPSHOT_EVERY's default
  runs: positive('BENCH_RUNS', 9),
});

export const EVENT_STORE_SMOKE: EventStoreSettings = { events: 300, snapshotEvery: 50, runs: 3 };

/** Events per append; each append gets its own time, so as-of reads can stop between them. */
const BATCH = 25;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * An artificially long payment, so that one stream has 10,000 events: the
 * request, a provider that times out again and again, then the authorization
 * and the capture. Every event goes through the real payment evolve.
 */
function paymentEvent(version: number, EVENTS: number): NewEvent<PaymentEvent> {
  const key = 'payment-bench-authorize';
  if (version === 1) {
    return {
      type: 'AuthorizationRequested',
      data: {
        orderId: '00000000-0000-4000-8000-000000000001',
        userId: '00000000-0000-4000-8000-000000000002',
        amountCents: 4_990,
        currency: 'EUR',
        paymentMethod: 'tok_visa',
        idempotencyKey: key,
      },
    };
  }
  if (version === EVENTS - 1) return { type: 'PaymentAuthorized', data: { authorizationId: 'auth_bench', reconciled: true } };
  if (version === EVENTS)
    return { type: 'PaymentCaptured', data: { captureId: 'cap_bench', amountCents: 4_990, reconciled: false } };
  return {
    type: 'ProviderOutcomeUnknown',
    data: { operation: 'authorize', idempotencyKey: key, errorCode: 'SOUK_CLIENT_TIMEOUT', detail: `attempt ${version}` },
  };
}

export async function eventStoreBench(settings: EventStoreSettings = eventStoreSettings()): Promise<BenchResult> {
  const started = performance.now();
  const { events: EVENTS, snapshotEvery: SNAPSHOT_EVERY, runs: RUNS } = settings;
  const database = await createTestDatabase('bench_event_store');
  // A service with no tables of its own: starting it runs the chassis migrations (the event store's tables).
  const host = await startService(defineService({ name: 'bench-event-store', version: '0.0.0', migrations: {}, setup() {} }), {
    env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
  });
  try {
    const t0 = Date.parse('2025-01-01T00:00:00.000Z');
    let now = t0;
    const store = createEventStore(host.ctx.db, { clock: { now: () => now } });
    const payments = store.aggregate<PaymentState, PaymentEvent>({
      type: 'payment',
      ...paymentFold,
      snapshotEvery: SNAPSHOT_EVERY,
    });
    const streamId = 'bench-payment';

    const buildStarted = performance.now();
    let loaded: Pick<Loaded<PaymentState>, 'streamId' | 'state' | 'version'> = {
      streamId,
      state: paymentFold.initial(),
      version: 0,
    };
    for (let version = 1; version <= EVENTS; version += BATCH) {
      now = t0 + version * 1_000; // this batch's time
      const batch = Array.from({ length: Math.min(BATCH, EVENTS - version + 1) }, (_, i) => paymentEvent(version + i, EVENTS));
      const result = await host.ctx.db.transaction().execute((trx) => payments.append(trx, loaded, batch));
      loaded = { streamId, state: result.state, version: result.version };
    }
    const buildMs = performance.now() - buildStarted;
    const {
      rows: [sizes],
    } = await sql<{ events: number; snapshots: number }>`
    select (select count(*)::int from souk_event) as events, (select count(*)::int from souk_event_snapshot) as snapshots`.execute(
      host.ctx.db,
    );

    // The time of the append that ended at `version` (a multiple of BATCH): as of then, the stream ends there.
    const timeOfBatchEnding = (version: number) => new Date(t0 + (version - BATCH + 1) * 1_000);
    const asOfVersion = Math.floor((EVENTS - 1) / BATCH) * BATCH;
    const cases = [
      { name: 'current state', asOf: undefined as Date | undefined },
      { name: 'as of an earlier time', asOf: timeOfBatchEnding(asOfVersion) },
    ];

    log(`event-store: ${sizes!.events} events, ${sizes!.snapshots} snapshots, built in ${(buildMs / 1000).toFixed(1)} s`);
    const rows: TableRow[] = [];
    for (const c of cases) {
      const measure = async (snapshots: boolean) => {
        const times: number[] = [];
        let last: Loaded<PaymentState> | undefined;
        for (let run = 0; run <= RUNS; run++) {
          const started = performance.now();
          last = await store.load<PaymentState, PaymentEvent>(streamId, {
            ...paymentFold,
            ...(c.asOf ? { asOf: c.asOf } : {}),
            ...(snapshots ? {} : { snapshots: false }),
          });
          if (run > 0) times.push(performance.now() - started); // run 0 warms up
        }
        return { ms: median(times), loaded: last! };
      };
      const full = await measure(false);
      const fast = await measure(true);
      // jsonb keeps keys in its own order: compare values, not texts.
      if (!isDeepStrictEqual(full.loaded.state, fast.loaded.state)) throw new Error(`${c.name}: the two loads disagree`);
      rows.push({
        name: `${c.name} (v${full.loaded.version})`,
        values: [full.ms, full.loaded.eventsApplied, fast.ms, fast.loaded.eventsApplied, full.ms / fast.ms],
      });
    }
    return {
      name: 'event-store',
      title: `loading one payment stream of ${sizes!.events} events: snapshot + tail, beside replaying everything`,
      settings: { BENCH_EVENTS: EVENTS, BENCH_SNAPSHOT_EVERY: SNAPSHOT_EVERY, BENCH_RUNS: RUNS, batch: BATCH },
      seconds: (performance.now() - started) / 1000,
      tables: [
        {
          title: `load (median of ${RUNS})`,
          columns: [
            { name: 'replay everything', unit: 'ms' },
            { name: 'events applied', unit: '' },
            { name: 'snapshot + tail', unit: 'ms' },
            { name: 'events applied', unit: '' },
            { name: 'speed-up', unit: 'x' },
          ],
          rows,
        },
      ],
      notes: [
        `${sizes!.snapshots} snapshots (every ${SNAPSHOT_EVERY}); the stream was appended in ${(buildMs / 1000).toFixed(1)} s, ${BATCH} events an append`,
      ],
    };
  } finally {
    await host.stop();
    await database.drop();
  }
}

if (isMain(import.meta.url)) await runStandalone(() => eventStoreBench());
