// Who is asking: orders belong to users (a token whose subject is a user id);
// admins and internal services may read anyone's.

import { chassisErrors, type Identity } from '@souk/chassis';
import { UUID_PATTERN } from '../../contract.ts';

const USER_ID = new RegExp(UUID_PATTERN);

/** The user behind the token; a service token (its subject is a client id) cannot order. */
export function userOf(identity: Identity | undefined): string {
  if (!identity || identity.clientId !== undefined || !USER_ID.test(identity.subject)) {
    throw chassisErrors.forbidden('Orders belong to users: this needs a user token.');
  }
  return identity.subject.toLowerCase();
}

/** Whether the caller may see an order of `ownerId`: its owner, an admin or an internal service. */
export function maySee(identity: Identity | undefined, ownerId: string): boolean {
  if (!identity) return false;
  return identity.subject.toLowerCase() === ownerId || identity.roles.includes('admin') || identity.scopes.includes('internal');
}
