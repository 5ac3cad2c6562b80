// The user behind a request: most of the shop's resources (carts, orders,
// messages) belong to a user, and a service token (client_credentials, its
// subject a client id) or an anonymous caller has none of them.

import type { Identity } from '../context.ts';
import { chassisErrors } from '../errors/codes.ts';

const USER_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * The caller's user id (lowercase); a 403 naming `what` ("Carts belong to
 * users") when the token is not a user's.
 */
export function userIdOf(identity: Identity | undefined, what: string): string {
  if (!identity || identity.clientId !== undefined || !USER_ID.test(identity.subject)) {
    throw chassisErrors.forbidden(`${what}: this needs a user token.`);
  }
  return identity.subject.toLowerCase();
}
