// Inventory's part in the choreography: orders' OrderConfirmed commits the
// order's reservation, shipping's ShipmentFailed returns its committed units,
// catalog's ProductCreated opens a stock level. Each runs in the event's inbox
// transaction, so its effects and its events commit once.

import type { EventHandler, Events } from '@souk/chassis';
import type { ProductCreated } from '@souk/catalog/contract';
import type { OrderConfirmed } from '@souk/orders/contract';
import type { ShipmentFailed } from '@souk/shipping/contract';
import type { InventoryDb } from '../db.ts';
import type { InventoryMetrics } from '../metrics.ts';
import { normalizeLines } from '../reservations/reservation-rules.ts';
import { applyCommand, commitHeld, reservationsOfOrder } from '../reservations/reservation-store.ts';
import { createLevelIfMissing } from '../stock/level-store.ts';

export interface HandlerDeps {
  clock: { now(): number };
  events: Pick<Events, 'publish' | 'publishing'>;
  metrics: InventoryMetrics;
}

/**
 * Commits the confirmed order's reservation. Already committed: nothing to do.
 * Expired meanwhile: the units are taken again if they are there; if not, the
 * order stays confirmed without stock. That gap is logged as an error and
 * counted (confirm_short), nothing is published: see the README.
 * Unknown, released, or another order's: a saga bug; throwing parks the event
 * as a dead letter after its retries, where an operator sees it.
 * The common case (held, the order's lines are its items) is one statement
 * (commitHeld); every other goes through the rules (applyCommand).
 */
export function commitOnOrderConfirmed(deps: HandlerDeps): EventHandler<OrderConfirmed, InventoryDb> {
  return async (event, { db, log }) => {
    const { orderId, reservationId } = event.data;
    const lines = normalizeLines(event.data.items);
    const committed = lines.ok ? await commitHeld(db, deps, { id: reservationId, orderId, lines: lines.lines }) : undefined;
    if (committed) {
      deps.metrics.reservation('committed');
      log.info({ orderId, reservationId }, 'order confirmed: reserved units committed');
      return;
    }
    const outcome = await applyCommand(db, deps, reservationId, { kind: 'confirm', orderId });
    switch (outcome.kind) {
      case 'changed':
        deps.metrics.reservation('committed');
        log.info({ orderId, reservationId }, 'order confirmed: reserved units committed');
        return;
      case 'unchanged':
        log.info(
          { orderId, reservationId, status: outcome.reservation.status },
          'order confirmed: reservation already committed',
        );
        return;
      case 'short':
        deps.metrics.reservation('confirm_short');
        log.error(
          { orderId, reservationId, shortage: outcome.shortage },
          'order confirmed after its reservation expired, and the units are gone: the order cannot be fulfilled from stock',
        );
        return;
      case 'refused':
        throw new Error(
          `OrderConfirmed for order ${orderId}: reservation ${reservationId} cannot be committed (${outcome.why}${outcome.reservation ? `, ${outcome.reservation.status}` : ''})`,
        );
      case 'tombstone':
        throw new Error('unreachable: a confirmation never records a tombstone');
    }
  };
}

/** The shipment failed: the order's committed units go back on the shelf (StockReturned). */
export function returnOnShipmentFailed(deps: HandlerDeps): EventHandler<ShipmentFailed, InventoryDb> {
  return async (event, { db, log }) => {
    const { orderId, reasonCode } = event.data;
    const ids = await reservationsOfOrder(db, orderId, 'COMMITTED');
    for (const id of ids) {
      const outcome = await applyCommand(db, deps, id, { kind: 'return', reason: 'SHIPMENT_FAILED' });
      if (outcome.kind === 'changed') deps.metrics.reservation('returned');
    }
    if (ids.length === 0) log.warn({ orderId, reasonCode }, 'shipment failed, but the order has no committed units to return');
    else log.info({ orderId, reasonCode, reservations: ids }, 'shipment failed: committed units returned to stock');
  };
}

/** A new product gets a level with INVENTORY_NEW_PRODUCT_STOCK units; one that exists keeps its units. */
export function levelOnProductCreated(deps: {
  clock: { now(): number };
  newProductStock: number;
  threshold: number;
}): EventHandler<ProductCreated, InventoryDb> {
  return async (event, { db, log }) => {
    const { productId } = event.data;
    const created = await createLevelIfMissing(
      db,
      {
        productId,
        onHand: deps.newProductStock,
        lowStockThreshold: deps.threshold,
      },
      new Date(deps.clock.now()),
    );
    log.info(
      { productId, created, onHand: deps.newProductStock },
      created ? 'stock level opened for a new product' : 'product already had a stock level',
    );
  };
}
