// The cancellation worker: gives back the money of the orders whose shipment
// failed, outside any transaction. It claims due cancellations (one short
// statement: FOR UPDATE SKIP LOCKED and a lease, so several instances share
// them and a dead instance's are taken over), runs the ledger's cancel command
// for each live payment of the order (void if authorized, refund if captured;
// the provider calls carry the ledger's Idempotency-Keys, so an attempt made
// twice acts once), then marks the cancellation DONE. A failed attempt is
// retried with exponential backoff and jitter; after `parkAfter` attempts the
// cancellation is PARKED for an operator (logged at error level, counted in
// souk_payment_cancellations_parked, retried by POST
// /_admin/payments/cancellations/{orderId}/retry).
//
// It looks for work every `pollMs`, when one of its own retries is due, after
// an operator's retry, and right after the commit of a ShipmentFailed handled
// by this instance (wakeAfterCommit: the handler hands over its transaction
// id, and the worker runs as soon as PostgreSQL reports it committed).

import { Counter, Gauge, type Logger, type Registry } from '@souk/chassis';
import type { PaymentCancellationRow, PaymentsDatabase } from '../db.ts';
import type { PaymentLedger } from '../payment/payment-ledger.ts';
import { afterFailure, describeFailure, type RetryPolicy } from './cancellation-rules.ts';
import { claimDue, countOpen, finishClaim, livePaymentsOf, transactionStatuses, type Ending } from './cancellation-store.ts';

/** Cancellations claimed (and worked on concurrently) at once by one instance. */
const BATCH = 4;
/** Checks of a handler's transaction start 1 ms after it handed its id over and back off to this. */
const MAX_COMMIT_CHECK_MS = 25;

export interface CancellationWorkerDeps {
  db: PaymentsDatabase;
  ledger: Pick<PaymentLedger, 'execute'>;
  log: Logger;
  metrics: Registry;
  /** This instance's id, recorded on the cancellations it claims. */
  owner: string;
  /** PAYMENTS_CANCELLATION_POLL_MS. */
  pollMs: number;
  /** PAYMENTS_CANCELLATION_LEASE_MS. */
  leaseMs: number;
  policy: RetryPolicy;
  /** Uniform in [0, 1): the backoff's jitter (tests may pin it). */
  random?: () => number;
}

export interface CancellationWorker {
  /** Look for due cancellations now. */
  wake(): void;
  /** Look for them as soon as the transaction `xid` (which recorded one) has committed. */
  wakeAfterCommit(xid: string): void;
  /** Takes no more work, waits for the attempts in progress. */
  stop(): Promise<void>;
}

export function startCancellationWorker(deps: CancellationWorkerDeps): CancellationWorker {
  const { db, ledger, log, policy } = deps;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  const attemptsTotal = new Counter({
    name: 'souk_payment_cancellation_attempts_total',
    help: 'Attempts to give back the money of an order whose shipment failed, by how they ended (done, retried, parked).',
    labelNames: ['outcome'],
    registers: [deps.metrics],
  });
  const gauge = (name: string, help: string, pick: (c: { pending: number; parked: number }) => number) =>
    new Gauge({
      name,
      help,
      registers: [deps.metrics],
      async collect() {
        try {
          this.set(pick(await countOpen(db)));
        } catch {
          // The database is away: no value rather than a failed scrape.
        }
      },
    });
  gauge(
    'souk_payment_cancellations_parked',
    'Payment cancellations that kept failing: an operator must retry them (POST /_admin/payments/cancellations/{orderId}/retry).',
    (c) => c.parked,
  );
  gauge(
    'souk_payment_cancellations_pending',
    'Payment cancellations waiting for an attempt or being attempted.',
    (c) => c.pending,
  );

  /** One attempt of a claimed cancellation; never throws. */
  async function attempt(row: PaymentCancellationRow): Promise<void> {
    const orderId = row.order_id;
    const failures: unknown[] = [];
    try {
      const live = await livePaymentsOf(db, orderId);
      if (live.length === 0) log.info({ orderId }, 'shipment failed; no payment of the order holds money any more');
      for (const paymentId of live) {
        try {
          const after = await ledger.execute(
            paymentId,
            { kind: 'cancel', reason: row.reason },
            { causationId: row.event_id, correlationId: orderId },
          );
          log.info(
            { orderId, paymentId, status: after.state.status, attempt: row.attempts },
            'shipment failed; payment given back',
          );
        } catch (err) {
          failures.push(err);
          log.warn({ orderId, paymentId, attempt: row.attempts, err }, 'shipment failed; giving the payment back failed');
        }
      }
    } catch (err) {
      failures.push(err);
    }

    let ending: Ending = { kind: 'done' };
    let why = '';
    if (failures.length > 0) {
      const error = failures.map(describeFailure).join('; ');
      const next = afterFailure(row.attempts, failures, policy, deps.random);
      if (next.kind === 'retry') ending = { kind: 'retry', delayMs: next.delayMs, error };
      else [ending, why] = [{ kind: 'park', error }, next.why];
    }
    try {
      if (!(await finishClaim(db, row, ending))) {
        log.warn(
          { orderId, attempt: row.attempts },
          'payment cancellation: the lease expired and another instance took it over; its attempt decides',
        );
        return;
      }
    } catch (err) {
      // The claim stays until its lease expires; then the cancellation is attempted again (the ledger acts once).
      log.error({ orderId, err }, 'payment cancellation: could not record the end of an attempt');
      return;
    }
    switch (ending.kind) {
      case 'done':
        attemptsTotal.inc({ outcome: 'done' });
        return;
      case 'retry':
        attemptsTotal.inc({ outcome: 'retried' });
        log.warn(
          { orderId, attempt: row.attempts, retryInMs: ending.delayMs, error: ending.error },
          'payment cancellation failed; will retry',
        );
        want(Date.now() + ending.delayMs);
        return;
      case 'park':
        attemptsTotal.inc({ outcome: 'parked' });
        log.error(
          { orderId, attempts: row.attempts, error: ending.error, why },
          "payment cancellation PARKED: the order's money was not given back; retry it with POST /_admin/payments/cancellations/{orderId}/retry",
        );
        return;
    }
  }

  async function runOnce(): Promise<void> {
    while (!stopped) {
      const claimed = await claimDue(db, { owner: deps.owner, leaseMs: deps.leaseMs, limit: BATCH });
      if (claimed.length === 0) return;
      await Promise.all(claimed.map(attempt));
      if (claimed.length < BATCH) return;
    }
  }

  // Scheduling: one run at a time; `wantedAt` is the earliest time the next one was asked for.
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let wantedAt = Infinity;

  function arm(): void {
    clearTimeout(timer);
    timer = setTimeout(tick, Math.max(0, wantedAt - Date.now()));
  }
  function want(at: number): void {
    if (stopped || at >= wantedAt) return;
    wantedAt = at;
    if (!running) arm(); // else: armed when the run ends
  }
  function tick(): void {
    timer = undefined;
    wantedAt = Infinity;
    running = runOnce()
      .catch((err: unknown) => log.error({ err }, 'payment cancellation run failed; trying again at the next poll'))
      .finally(() => {
        running = undefined;
        if (stopped) return;
        wantedAt = Math.min(wantedAt, Date.now() + deps.pollMs);
        arm();
      });
  }
  want(Date.now() + deps.pollMs);

  // Transactions that recorded a cancellation, until they end (or one poll interval has passed: then the poll finds it).
  const commits = new Map<string, number>();
  let watching: Promise<void> | undefined;

  async function watchCommits(): Promise<void> {
    let pause = 1;
    try {
      while (commits.size > 0 && !stopped) {
        await sleep(pause);
        pause = Math.min(pause * 2, MAX_COMMIT_CHECK_MS);
        const statuses = await transactionStatuses(db, [...commits.keys()]);
        let committed = false;
        for (const [xid, giveUpAt] of commits) {
          const status = statuses.get(xid);
          if (status === 'in progress' && Date.now() < giveUpAt) continue;
          commits.delete(xid);
          if (status === 'committed') committed = true;
        }
        if (committed) want(Date.now());
      }
    } catch (err) {
      log.debug({ err }, 'payment cancellation: could not tell whether a handler committed; the poll will find its work');
      commits.clear();
    }
  }
  function watch(): void {
    watching = watchCommits().finally(() => {
      watching = undefined;
      if (commits.size > 0 && !stopped) watch();
    });
  }

  return {
    wake: () => want(Date.now()),
    wakeAfterCommit(xid) {
      if (stopped) return;
      if (!commits.has(xid)) commits.set(xid, Date.now() + deps.pollMs);
      if (!watching) watch();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await watching;
    },
  };
}
