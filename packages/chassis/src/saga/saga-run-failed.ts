// The saga runner's own failures on a saga (its end hook or a progress write
// threw): not a step's failure, so counted apart (runner_failures), retried
// with the compensations' backoff and parked after parkAfter in a row; a
// transient database error is retried uncounted.

import { failurePause } from '../backoff.ts';
import type { SagaDefinition } from './saga-definition.ts';
import type { DriveDeps, Whereabouts } from './saga-drive.ts';
import type { SagaRow } from './saga-store.ts';
import { afterRunnerFailure, describeError, isTransientFailure } from './saga-transitions.ts';

/**
 * The runner's own failure on a saga: its end hook threw, or a progress write
 * did. The database briefly out of reach: retried later, uncounted. Anything
 * else is counted on the saga row (a deterministic error would otherwise loop
 * for ever, unseen): retried with backoff, then PARKED after parkAfter in a row.
 */
export async function sagaRunFailed(
  deps: DriveDeps,
  saga: SagaDefinition,
  row: SagaRow,
  where: Whereabouts,
  err: unknown,
): Promise<void> {
  const failureLog = deps.log.child({ saga: saga.name, saga_id: row.id, ...(where.step ? { step: where.step } : {}) });
  const error = describeError(err, false);
  const entry = {
    kind: where.ending ? ('end_failed' as const) : ('runner_failed' as const),
    ...(where.step ? { step: where.step } : {}),
    error,
  };
  const what = where.ending ? 'ending the saga' : 'the saga runner';
  try {
    if (isTransientFailure(err)) {
      // The database went away mid-write, say: try again later, from what was recorded.
      failureLog.warn({ err }, `${what} failed (a transient database error); the saga is retried`);
      if (await deps.store.retryLater(row.id, failurePause(3), [entry])) deps.wakeIn(failurePause(3));
      return;
    }
    const counted = await deps.store.runnerFailed(row.id, entry, (failures) =>
      afterRunnerFailure({ failures, parkAfter: deps.parkAfter, ...(deps.random ? { random: deps.random } : {}) }),
    );
    if (!counted) return;
    const { failures, decision } = counted;
    if (decision.kind === 'retry') {
      failureLog.error({ err, failures, delayMs: decision.delayMs }, `${what} failed; the saga is retried`);
      deps.wakeIn(decision.delayMs);
      return;
    }
    // Never dropped: it waits, visible, for an operator (POST /_admin/sagas/{id}/retry).
    failureLog.error({ err, failures, code: error.code, message: error.message }, `saga PARKED: ${what} keeps failing`);
    deps.ended(saga, row, 'PARKED');
  } catch (writeErr) {
    // Not even that could be written: the saga is claimed again as it is (by this instance as soon as it can: the lease is still its own).
    failureLog.error({ err, writeErr }, `${what} failed, and so did recording it; the saga is claimed again`);
  }
}
