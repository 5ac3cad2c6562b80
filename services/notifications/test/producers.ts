// Stand-ins for the orders and shipping services in the order-message tests:
// chassis services with the real event contracts that publish through their
// outbox on request, so notifications reads real feeds without a checkout.

import type { EventContract } from '@souk/chassis';
import { startStandInProducer, type StandInProducer } from '@souk/chassis/testing';
import { OrderCancelled, OrderConfirmed } from '@souk/orders/contract';
import { OrderShipped } from '@souk/shipping/contract';
import type { TObject } from 'typebox';

export type Producer = StandInProducer;

export const startOrders = () =>
  startStandInProducer('orders', [OrderConfirmed, OrderCancelled] as EventContract<TObject>[], {
    EVENTS_POLL_INTERVAL_MS: '1000',
  });
export const startShipping = () =>
  startStandInProducer('shipping', [OrderShipped] as EventContract<TObject>[], { EVENTS_POLL_INTERVAL_MS: '1000' });
