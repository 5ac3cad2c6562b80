// Who may change the registry: registering a schema, deleting a subject or a
// version, setting a compatibility level. Reads stay open to every service.
// One small decision, so that a later credential (an mTLS client certificate
// naming a producer) is one more case here rather than a change to each route.

import type { Auth, Identity } from '@souk/chassis';
import { registryErrors } from '../errors.ts';

/** The scope of a producer's service token that lets it register (and delete) schemas. */
export const WRITE_SCOPE = 'schemas:write';
/** The role of an operator's token that lets them change anything here. */
export const ADMIN_ROLE = 'admin';

export type WriteDecision = 'allowed' | 'unauthenticated' | 'forbidden';

/** An admin user, or a service token with schemas:write; nobody else. */
export function mayWrite(caller: Identity | undefined): WriteDecision {
  if (!caller) return 'unauthenticated';
  if (caller.roles.includes(ADMIN_ROLE)) return 'allowed';
  if (caller.clientId !== undefined && caller.scopes.includes(WRITE_SCOPE)) return 'allowed';
  return 'forbidden';
}

/** A Fastify pre-handler, as the chassis's auth hooks are. */
export type WriteGuard = ReturnType<Auth['optional']>;

/** The pre-handler of every write route: verifies a bearer token if there is one, then decides. */
export function writeAccess(auth: Auth): WriteGuard {
  const authenticate = auth.optional();
  return async (request, reply) => {
    await authenticate(request, reply);
    switch (mayWrite(request.identity)) {
      case 'allowed':
        return;
      case 'unauthenticated':
        throw registryErrors.credentialMissing({
          detail: `Changing the schema registry needs a bearer token: an admin's, or a service token with scope ${WRITE_SCOPE}`,
          headers: { 'www-authenticate': 'Bearer' },
        });
      case 'forbidden':
        throw registryErrors.writeForbidden(
          `Changing the schema registry needs the role ${ADMIN_ROLE}, or a service token with scope ${WRITE_SCOPE}`,
        );
    }
  };
}
