// Who is asking: orders belong to users (a token whose subject is a user id);
// admins and services granted orders:read may read anyone's.

import { userIdOf, type Capability, type Identity } from '@souk/chassis';

const READ_ANY: Capability = 'orders:read';

/** The user behind the token; a service token (its subject is a client id) cannot order. */
export const userOf = (identity: Identity | undefined): string => userIdOf(identity, 'Orders belong to users');

/** Whether the caller may see an order of `ownerId`: its owner, an admin or a service with orders:read. */
export function maySee(identity: Identity | undefined, ownerId: string): boolean {
  if (!identity) return false;
  return identity.subject.toLowerCase() === ownerId || identity.roles.includes('admin') || identity.scopes.includes(READ_ANY);
}
