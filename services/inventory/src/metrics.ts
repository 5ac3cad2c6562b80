// Prometheus metrics of inventory: reservation outcomes (held, refused for
// stock, replayed, ...) and expiries, so a shop running out of stock or a
// saga that forgets to confirm shows up on a dashboard.

import { Counter, type Registry } from '@souk/chassis';

export const RESERVATION_OUTCOMES = [
  'held',
  'replayed',
  'insufficient_stock',
  'conflict',
  'released',
  'committed',
  'returned',
  'expired',
  'tombstone',
  'confirm_short',
] as const;
export type ReservationOutcome = (typeof RESERVATION_OUTCOMES)[number];

export interface InventoryMetrics {
  reservation(outcome: ReservationOutcome): void;
}

export function createInventoryMetrics(registry: Registry): InventoryMetrics {
  const reservations = new Counter({
    name: 'souk_inventory_reservations_total',
    help: 'Reservation steps by outcome: held, replayed, insufficient_stock, conflict, released, committed, returned, expired, tombstone, confirm_short (an order confirmed after expiry found too few units).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const expired = new Counter({
    name: 'souk_inventory_reservations_expired_total',
    help: 'Held reservations released by the expiry sweeper because nobody confirmed them in time.',
    registers: [registry],
  });
  // Series exist from the start, so a rate over "insufficient_stock" is 0 rather than absent.
  for (const outcome of RESERVATION_OUTCOMES) reservations.inc({ outcome }, 0);
  return {
    reservation(outcome) {
      reservations.inc({ outcome });
      if (outcome === 'expired') expired.inc();
    },
  };
}
