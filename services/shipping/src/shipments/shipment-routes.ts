// GET /api/v1/shipments/{orderId}: for the order's customer (known from
// OrderConfirmed), an admin, or a service granted shipments:read. Anyone else
// gets the same 404 as for an order without a shipment.

import type { Capability, Identity, ServiceContext } from '@souk/chassis';
import { API_PREFIX, Shipment, ShipmentParams } from '../../contract.ts';
import type { ShippingDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { findShipment, ownerOf } from './shipment-store.ts';

const READ_ANY: Capability = 'shipments:read';

async function mayRead(db: ShippingDatabase, identity: Identity, orderId: string): Promise<boolean> {
  if (identity.roles.includes('admin') || identity.scopes.includes(READ_ANY)) return true;
  return (await ownerOf(db, orderId)) === identity.subject.toLowerCase();
}

export function registerShipmentRoutes(ctx: ServiceContext, db: ShippingDatabase): void {
  ctx.app.get(
    `${API_PREFIX}/:orderId`,
    {
      onRequest: ctx.auth.required(),
      schema: {
        summary: "An order's shipment (its customer, an admin, or shipments:read)",
        tags: ['shipments'],
        params: ShipmentParams,
        response: { 200: Shipment },
      },
    },
    async (request) => {
      const { orderId } = request.params;
      const shipment = await findShipment(db, orderId);
      if (!shipment || !(await mayRead(db, request.identity!, orderId))) {
        throw errors.shipmentNotFound({ detail: `No shipment for order ${orderId} that you may see.`, extensions: { orderId } });
      }
      return shipment;
    },
  );
}
