// The capabilities a service's own token can carry: one scope per thing one
// service may do at another, granted per OAuth client (the devhost's service
// table) and required per route. The one list of them: a scope named anywhere
// else is checked against it, so a typo fails a test instead of a checkout.

/** Every capability scope, with what it allows (the documentation's table is this one). */
export const CAPABILITIES = {
  'payments:authorize': 'authorize a payment at the provider (POST /api/v1/payments/{id}/authorize)',
  'payments:capture': 'take an authorized amount (POST .../capture)',
  'payments:void': 'release an authorization (POST .../void)',
  'payments:refund': 'give captured money back (POST .../refund)',
  'payments:cancel': 'the checkout compensation: void or refund as the payment stands (POST .../cancel)',
  'payments:read': "read a payment, its ledger and an order's payments (GET /api/v1/payments...)",
  'inventory:reserve': 'hold units for an order (PUT /api/v1/inventory/reservations/{id})',
  'inventory:release': 'give held or committed units back (POST .../release)',
  'inventory:commit': 'take held units out of stock (POST .../commit)',
  'inventory:reservations:read': 'read a reservation (GET /api/v1/inventory/reservations/{id})',
  'inventory:levels:write': "set a product's units on hand (PUT /api/v1/inventory/{productId}), as an admin may",
  'orders:read': "read anyone's order (GET /api/v1/orders/{id}), as an admin may",
  'shipments:read': "read anyone's shipment (GET /api/v1/shipments/{orderId}), as an admin may",
  'schemas:write': "register, delete and configure event schemas at the schema registry (a producer's start)",
  'config:releases:write':
    "change the gateway's `releases` setting at the config server (canary weights, the active release), nothing else: the gateway's canary analysis rolls a canary back or promotes it",
  'identity:token-exchange':
    "trade a user's token for an internal one at identity (RFC 8693): the gateway and the operator tools; a permission, not carried by the client's own tokens",
} as const;

export type Capability = keyof typeof CAPABILITIES;

/** `events:read:<producer>`: read that producer's event feed (`GET /_events`). */
export type EventsReadScope = `events:read:${string}`;

export type ServiceScope = Capability | EventsReadScope;

const EVENTS_READ = 'events:read:';
// A service name as discovery knows it (see discovery/static-discovery.ts).
const PRODUCER = /^[a-z0-9][a-z0-9-]*$/i;

/** The scope that lets a consumer read `producer`'s event feed. */
export function eventsReadScope(producer: string): EventsReadScope {
  if (!PRODUCER.test(producer)) throw new Error(`"${producer}" is not a service name`);
  return `${EVENTS_READ}${producer}`;
}

/** The producer an `events:read:<producer>` scope names; undefined for any other scope. */
export function eventsReadProducer(scope: string): string | undefined {
  if (!scope.startsWith(EVENTS_READ)) return undefined;
  const producer = scope.slice(EVENTS_READ.length);
  return PRODUCER.test(producer) ? producer : undefined;
}

/** Whether `scope` is a capability of the list above or names a producer's feed. */
export function isServiceScope(scope: string): scope is ServiceScope {
  return Object.hasOwn(CAPABILITIES, scope) || eventsReadProducer(scope) !== undefined;
}
