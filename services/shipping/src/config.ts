// The shipping service's own environment variables; the chassis validates them with the
// common ones at start (the only place they are read).

import { Type } from 'typebox';
import { MAX_DELAY_MS } from '../contract.ts';

export const ShippingConfig = Type.Object({
  SHIPPING_POLL_MS: Type.Integer({
    default: 500,
    minimum: 10,
    description: 'How often the warehouse worker looks for due shipments.',
  }),
  SHIPPING_DELAY_MS: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: MAX_DELAY_MS,
    description:
      'Time from committed stock to shipped parcel, never before the payment is captured (an admin can change it at run time).',
  }),
  SHIPPING_FAILURE_RATE: Type.Number({
    default: 0,
    minimum: 0,
    maximum: 1,
    description: 'Share of shipments the carrier refuses (an admin can change it at run time).',
  }),
});
