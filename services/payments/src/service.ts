// The payments service: an event-sourced payment ledger on the chassis event
// store, calling the payment provider with idempotency keys, publishing its
// integration events from the same transactions, and refunding on ShipmentFailed
// (a cancellation job enqueued in the inbox transaction, run by the chassis jobs module).

import { createEventStore, defineService, useJobs } from '@souk/chassis';
import { ShipmentFailed } from '@souk/shipping/contract';
import { PaymentAuthorized, PaymentCaptured, PaymentFailed, PaymentRefunded, PaymentVoided } from '../contract.ts';
import { migrations } from '../migrations/index.ts';
import { cancelOrderJob } from './cancellation/cancel-order-job.ts';
import { PaymentsConfig, readApiKey } from './config.ts';
import type { PaymentsDb } from './db.ts';
import { registerAdminRoutes } from './http/admin-routes.ts';
import { registerPaymentRoutes } from './http/payment-routes.ts';
import type { PaymentEvent } from './payment/payment-events.ts';
import { createPaymentLedger } from './payment/payment-ledger.ts';
import { PAYMENT_STATE_SCHEMA_VERSION, PAYMENT_STREAM_TYPE, paymentFold, type PaymentState } from './payment/payment-state.ts';
import { createProviderClient, PROVIDER_SERVICE } from './provider/provider-client.ts';
import { recordCancellationOnShipmentFailure } from './shipping/shipment-handlers.ts';

/** Cancellations worked on at once per instance. */
const CANCELLATION_CONCURRENCY = 4;

export const paymentsService = defineService<PaymentsDb>()({
  name: 'payments',
  version: '0.1.0',
  config: PaymentsConfig,
  migrations,
  events: { publishes: [PaymentAuthorized, PaymentFailed, PaymentCaptured, PaymentVoided, PaymentRefunded] },
  async setup(ctx) {
    const { db } = ctx;
    const store = createEventStore(ctx.db, { clock: ctx.clock });
    const payments = store.aggregate<PaymentState, PaymentEvent>({
      type: PAYMENT_STREAM_TYPE,
      ...paymentFold,
      snapshotEvery: ctx.config.PAYMENTS_SNAPSHOT_EVERY,
      schemaVersion: PAYMENT_STATE_SCHEMA_VERSION,
    });
    const provider = createProviderClient({
      client: ctx.client(PROVIDER_SERVICE),
      apiKey: await readApiKey(ctx.config, ctx.secrets),
      timeoutMs: ctx.config.PAYMENTS_PROVIDER_TIMEOUT_MS,
    });
    const ledger = createPaymentLedger({ db, payments, events: ctx.events, provider, log: ctx.log });
    const policy = {
      parkAfter: ctx.config.PAYMENTS_CANCELLATION_PARK_AFTER,
      baseMs: ctx.config.PAYMENTS_CANCELLATION_RETRY_BASE_MS,
      capMs: ctx.config.PAYMENTS_CANCELLATION_RETRY_CAP_MS,
    };
    // The jobs runner stops (awaiting the attempts in flight) at shutdown; its admin routes are /_admin/jobs.
    const jobs = useJobs(ctx, {
      kinds: [cancelOrderJob({ db, ledger, policy })],
      leaseMs: ctx.config.PAYMENTS_CANCELLATION_LEASE_MS,
      pollIntervalMs: ctx.config.PAYMENTS_CANCELLATION_POLL_MS,
      concurrency: CANCELLATION_CONCURRENCY,
    });
    ctx.events.subscribe(ShipmentFailed, recordCancellationOnShipmentFailure({ jobs }));
    registerPaymentRoutes(ctx, { ledger, store, db });
    registerAdminRoutes(ctx, { db, store, jobs });
  },
});
