// The shipping service's error codes; each is also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const errors = defineErrors({
  shipmentNotFound: {
    code: 'SOUK_SHIPPING_SHIPMENT_NOT_FOUND',
    status: 404,
    title: 'Shipment not found',
    description:
      "The order has no shipment yet (its stock is not committed, or the event is still on its way), or it is not the caller's order: both look the same.",
  },
});
