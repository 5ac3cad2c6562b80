// The payment ledger: runs commands against the event-sourced payment. A
// command is a loop of pure decisions (payment-decide.ts) and their I/O:
// record events, call the provider, record what it answered, decide again,
// until the command is done or refused. Each write is one statement (atomic
// with no transaction around it): the append, the integration events (outbox)
// and the read-model row commit together. No provider call ever happens
// inside a transaction.

import { eventStoreErrors, type AggregateStore, type EventMetadata, type Events, type Loaded, type Logger } from '@souk/chassis';
import type { PaymentsDatabase } from '../db.ts';
import { projectionRow, projectionUpsert } from '../projection/payments-projection.ts';
import type { ProviderClient } from '../provider/provider-client.ts';
import { integrationEventsFor } from './integration-events.ts';
import { decideNext, freshProgress, type NewPaymentEvent, type PaymentCommand } from './payment-decide.ts';
import { idempotencyKey, type PaymentEvent } from './payment-events.ts';
import { recordOutcome } from './payment-outcomes.ts';
import { initialPaymentState, type PaymentState } from './payment-state.ts';

/** Concurrent writers to one payment are rare (retries of one request); past this many, answer 409 and let the caller retry. */
const MAX_CONFLICTS = 5;
/** A command takes a handful of steps; more means the rules loop, which is a bug. */
const MAX_STEPS = 20;
/**
 * The provider answers 409 "in use" while another request with the same key
 * (a concurrent repeat of this command) is being processed: wait for it a
 * little rather than record an unknown outcome that is only a race.
 */
const IN_USE_CODE = 'SOUK_PROVIDER_IDEMPOTENCY_KEY_IN_USE';
const IN_USE_WAITS_MS = [50, 150, 400];

export interface PaymentLedgerDeps {
  db: PaymentsDatabase;
  /** Waits between tries of a call whose key is in use (tests may pass a quicker one). */
  pause?: (ms: number) => Promise<void>;
  payments: AggregateStore<PaymentState, PaymentEvent>;
  events: Pick<Events, 'publishing'>;
  provider: ProviderClient;
  log: Logger;
}

export interface PaymentLedger {
  /** Runs `command` to its end; the payment as it is afterwards. Throws the command's refusal as a coded error. */
  execute(paymentId: string, command: PaymentCommand, metadata?: EventMetadata): Promise<Loaded<PaymentState>>;
  /** The payment now or as of a time (version 0: it did not exist). */
  load(paymentId: string, asOf?: Date): Promise<Loaded<PaymentState>>;
}

/** A payment with no events, as a load of an empty stream gives it. */
const notBegun = (paymentId: string): Loaded<PaymentState> => ({
  streamId: paymentId,
  state: initialPaymentState(),
  version: 0,
  snapshotVersion: undefined,
  eventsApplied: 0,
});

export function createPaymentLedger(deps: PaymentLedgerDeps): PaymentLedger {
  const { db, payments, provider, log } = deps;
  const pause = deps.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function write(
    loaded: Loaded<PaymentState>,
    events: NewPaymentEvent[],
    metadata: EventMetadata,
  ): Promise<Loaded<PaymentState>> {
    // The order is the conversation a payment belongs to: the payment's own, else the one the command named.
    const correlationId = loaded.state.orderId ?? metadata.correlationId;
    const appended = await payments.append(db, loaded, events, {
      metadata: { ...metadata, correlationId },
      along: (result, moved) => {
        const announced = integrationEventsFor(result.state, result.events).map((e) => e.publication);
        return [
          ...(announced.length > 0 ? [deps.events.publishing(db, announced, moved)] : []),
          projectionUpsert(projectionRow(loaded.streamId, result.state, result.version), moved),
        ];
      },
    });
    return { ...loaded, state: appended.state, version: appended.version };
  }

  /**
   * An authorization the provider granted while a void tombstoned the payment
   * (the void looked the payment up before the provider had it): release it,
   * so no money stays held for a cancelled order.
   */
  async function releaseLateAuthorization(
    loaded: Loaded<PaymentState>,
    authorizationId: string,
    metadata: EventMetadata,
  ): Promise<Loaded<PaymentState>> {
    const outcome = await provider.run({ op: 'void', idempotencyKey: idempotencyKey(loaded.streamId, 'void'), authorizationId });
    if (outcome.kind !== 'authorization') {
      log.error(
        { paymentId: loaded.streamId, authorizationId, outcome },
        'a late authorization of a voided payment could not be released; it expires at the provider',
      );
      return loaded;
    }
    return write(
      loaded,
      [
        {
          type: 'PaymentVoided',
          data: { reason: 'late authorization released', authorizationId, orderId: null, reconciled: true },
        },
      ],
      metadata,
    );
  }

  return {
    load: (paymentId, asOf) => payments.load(paymentId, asOf ? { asOf } : {}),

    async execute(paymentId, command, given = {}) {
      // The first event of a payment comes before its state knows the order: take it from the command.
      const orderId =
        command.kind === 'authorize'
          ? command.orderId
          : command.kind === 'void' || command.kind === 'cancel'
            ? command.orderId
            : undefined;
      const metadata: EventMetadata = orderId ? { correlationId: orderId, ...given } : given;
      const progress = freshProgress();
      let conflicts = 0;
      let inUseWaits = 0;
      // An authorize is most often the payment's first command: it decides on the empty stream without
      // reading it, and an append that finds the stream begun conflicts and decides again on what is there.
      let loaded = command.kind === 'authorize' ? notBegun(paymentId) : await payments.load(paymentId);
      for (let steps = 0; ; steps++) {
        if (steps >= MAX_STEPS) throw new Error(`payment ${paymentId}: ${command.kind} did not settle in ${MAX_STEPS} steps`);
        const step = decideNext(paymentId, command, loaded.state, progress);
        if (step.kind === 'done') return loaded;
        if (step.kind === 'reject') throw step.error;
        let granted: string | undefined;
        try {
          if (step.events.length > 0) loaded = await write(loaded, step.events, metadata);
          if (!step.call) continue;
          const outcome = await provider.run(step.call);
          if (outcome.kind === 'unknown' && outcome.errorCode === IN_USE_CODE && inUseWaits < IN_USE_WAITS_MS.length) {
            // The concurrent request may finish and record the answer: decide again on what it did.
            await pause(IN_USE_WAITS_MS[inUseWaits++]!);
            loaded = await payments.load(paymentId);
            continue;
          }
          if (step.call.op === 'authorize' && outcome.kind === 'authorization') granted = outcome.authorization.id;
          const recorded = recordOutcome(paymentId, command, loaded.state, step.call, outcome, progress);
          if (recorded.events.length > 0) loaded = await write(loaded, recorded.events, metadata);
          if (recorded.error) throw recorded.error;
        } catch (err) {
          if (!eventStoreErrors.versionConflict.is(err) || ++conflicts > MAX_CONFLICTS) throw err;
          // Another writer moved the payment: decide again on what it did. A provider call
          // made again carries the same Idempotency-Key, so the provider answers it from memory.
          loaded = await payments.load(paymentId);
          if (granted && loaded.state.status === 'VOIDED' && loaded.state.authorizationId === null) {
            loaded = await releaseLateAuthorization(loaded, granted, metadata);
          }
        }
      }
    },
  };
}
