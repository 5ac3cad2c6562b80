// The inventory service's error codes; each is also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const errors = defineErrors({
  insufficientStock: {
    code: 'SOUK_INVENTORY_INSUFFICIENT_STOCK',
    status: 409,
    title: 'Not enough stock',
    description:
      'A line of the reservation asks for more units than are available (`productId`, `requested`, `available` say which); nothing was reserved. A product inventory does not know has 0 available.',
  },
  reservationConflict: {
    code: 'SOUK_INVENTORY_RESERVATION_CONFLICT',
    status: 409,
    title: 'The reservation id is already used',
    description:
      'A reservation with this id exists with another order or other lines, or it was released (possibly before it was ever made): a late reserve must not hold stock. `reservationStatus` is its status. Use a new reservation id.',
  },
  reservationNotHeld: {
    code: 'SOUK_INVENTORY_RESERVATION_NOT_HELD',
    status: 409,
    title: 'The reservation is no longer held',
    description:
      'Only a HELD reservation can be committed; this one was released or expired (`reservationStatus` says which) and its units went back to stock. Reserve again.',
  },
  reservationNotFound: {
    code: 'SOUK_INVENTORY_RESERVATION_NOT_FOUND',
    status: 404,
    title: 'Reservation not found',
    description: 'No reservation has this id.',
  },
  levelNotFound: {
    code: 'SOUK_INVENTORY_LEVEL_NOT_FOUND',
    status: 404,
    title: 'No stock level for this product',
    description:
      'Inventory has no level for this product id (unknown product, or not stocked yet); it has 0 units. An admin creates one with PUT.',
  },
  onHandBelowReserved: {
    code: 'SOUK_INVENTORY_ON_HAND_BELOW_RESERVED',
    status: 409,
    title: 'On-hand units cannot go below the reserved ones',
    description:
      'The new onHand is smaller than the units held for orders (`reserved`); set at least that many, or wait until reservations are committed or released.',
  },
});
