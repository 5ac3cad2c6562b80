// The reservation commands the HTTP API offers (reserve, release, commit,
// read), each one transaction (a reserve that simply fits: one statement); refusals become coded errors (which roll the
// transaction back) and every outcome is counted once it has committed.

import { chassisErrors, type Events } from '@souk/chassis';
import type { Reservation, ReserveBody } from '../../contract.ts';
import type { InventoryDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import type { InventoryMetrics, ReservationOutcome } from '../metrics.ts';
import { normalizeLines } from './reservation-rules.ts';
import { applyCommand, findReservation, reserve, reserveAtOnce } from './reservation-store.ts';

export interface ReservationCommands {
  /** `created` is false for a replay of the same request. */
  reserve(id: string, body: ReserveBody): Promise<{ created: boolean; reservation: Reservation }>;
  release(id: string, reason: string | undefined): Promise<Reservation>;
  commit(id: string): Promise<Reservation>;
  get(id: string): Promise<Reservation>;
}

export interface ReservationCommandDeps {
  clock: { now(): number };
  events: Pick<Events, 'publish' | 'publishing'>;
  metrics: InventoryMetrics;
  defaultTtlSeconds: number;
}

export function createReservationCommands(db: InventoryDatabase, deps: ReservationCommandDeps): ReservationCommands {
  /** Runs `work`; counts the outcome it names, or the error code's outcome when it refused. */
  async function counted<T>(work: () => Promise<{ outcome: ReservationOutcome | undefined; value: T }>): Promise<T> {
    try {
      const { outcome, value } = await work();
      if (outcome) deps.metrics.reservation(outcome);
      return value;
    } catch (err) {
      if (errors.insufficientStock.is(err)) deps.metrics.reservation('insufficient_stock');
      else if (errors.reservationConflict.is(err)) deps.metrics.reservation('conflict');
      throw err;
    }
  }

  return {
    reserve: (id, body) =>
      counted(async () => {
        const normal = normalizeLines(body.items);
        if (!normal.ok) {
          throw chassisErrors.invalidRequest({
            detail: `Product ${normal.duplicate} is named on two lines; send one line per product.`,
            extensions: { errors: [{ in: 'body', path: '/items', message: `names product ${normal.duplicate} twice` }] },
          });
        }
        const request = {
          id,
          orderId: body.orderId,
          lines: normal.lines,
          ttlSeconds: body.ttlSeconds,
          defaultTtlSeconds: deps.defaultTtlSeconds,
        };
        // Most reserves hold in one statement; the rest (short, StockLow, a repeated id) decide in a transaction.
        const atOnce = await reserveAtOnce(db, deps, request);
        if (atOnce) return { outcome: 'held', value: { created: true, reservation: atOnce } };
        return db.transaction().execute(async (trx) => {
          const outcome = await reserve(trx, deps, request);
          switch (outcome.kind) {
            case 'held':
            case 'replayed':
              return { outcome: outcome.kind, value: { created: outcome.kind === 'held', reservation: outcome.reservation } };
            case 'conflict':
              throw errors.reservationConflict({
                detail: `Reservation ${id} cannot be made: ${outcome.why}.`,
                extensions: { reservationId: id, reservationStatus: outcome.status },
              });
            case 'insufficient': {
              const { productId, requested, available } = outcome.shortage;
              throw errors.insufficientStock({
                detail: `Product ${productId}: ${requested} requested, ${available} available. Nothing was reserved.`,
                extensions: { productId, requested, available },
              });
            }
          }
        });
      }),

    release: (id, reason) =>
      counted(() =>
        db.transaction().execute(async (trx) => {
          const outcome = await applyCommand(trx, deps, id, { kind: 'release', reason });
          if (outcome.kind === 'refused' || outcome.kind === 'short')
            throw new Error(`release of ${id} was ${outcome.kind}: the rules never refuse a release`);
          const status = outcome.reservation.status;
          const result: ReservationOutcome | undefined =
            outcome.kind === 'tombstone'
              ? 'tombstone'
              : outcome.kind === 'changed'
                ? status === 'RETURNED'
                  ? 'returned'
                  : 'released'
                : undefined;
          return { outcome: result, value: outcome.reservation };
        }),
      ),

    commit: (id) =>
      counted(() =>
        db.transaction().execute(async (trx) => {
          const outcome = await applyCommand(trx, deps, id, { kind: 'commit' });
          if (outcome.kind === 'refused') {
            if (outcome.why === 'unknown')
              throw errors.reservationNotFound({ detail: `No reservation ${id}.`, extensions: { reservationId: id } });
            const status = outcome.reservation?.status;
            throw errors.reservationNotHeld({
              detail: `Reservation ${id} is ${status}: its units went back to stock, so it cannot be committed.`,
              extensions: { reservationId: id, reservationStatus: status },
            });
          }
          if (outcome.kind === 'short') throw new Error(`commit of ${id} came up short: a commit uses held units only`);
          return { outcome: outcome.kind === 'changed' ? 'committed' : undefined, value: outcome.reservation };
        }),
      ),

    async get(id) {
      const reservation = await findReservation(db, id);
      if (!reservation) throw errors.reservationNotFound({ detail: `No reservation ${id}.`, extensions: { reservationId: id } });
      return reservation;
    },
  };
}
