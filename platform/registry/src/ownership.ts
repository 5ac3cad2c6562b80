// Who may write an instance's entry. With mutual TLS, only that instance: the service comes from the
// caller's SPIFFE id (spiffe://souk.local/<service>) and the instance id from its certificate's CN, both
// issued by the CA. Without TLS (the devhost's --no-mtls) nothing is bound and any caller may write.

import type { PeerIdentity } from '@souk/chassis';
import { registryErrors } from './errors.ts';

/** What a write names: a registration names both; a heartbeat or deregistration names only the instance id. */
export interface WriteClaim {
  instanceId: string;
  service?: string;
}

/**
 * Throws 403 `SOUK_REGISTRY_NOT_YOUR_INSTANCE` unless the caller's certificate names the claimed service
 * and instance id, and 403 `SOUK_REGISTRY_INSTANCE_TAKEN` when the id is registered under another service
 * than the caller's (a certificate whose CN happens to be that id does not take it over).
 * `registeredAs` is the service the instance id is registered under now, if any.
 */
export function checkOwnership(caller: PeerIdentity | undefined, claim: WriteClaim, registeredAs: string | undefined): void {
  if (!caller) {
    throw registryErrors.notYourInstance(
      `Instance ${claim.instanceId}: the request carries no client certificate with a souk SPIFFE id, and only an instance may write its own entry.`,
    );
  }
  const serviceOk = claim.service === undefined || claim.service === caller.service;
  if (!serviceOk || caller.instanceId !== claim.instanceId) {
    const claimed = claim.service === undefined ? claim.instanceId : `${claim.instanceId} of ${claim.service}`;
    throw registryErrors.notYourInstance(
      `The caller is ${caller.spiffeId} (instance ${caller.instanceId ?? 'unnamed'}) and may not write instance ${claimed}.`,
    );
  }
  if (registeredAs !== undefined && registeredAs !== caller.service) {
    throw registryErrors.instanceTaken(
      `Instance ${claim.instanceId} is registered by ${registeredAs}; ${caller.spiffeId} may not replace, renew or remove it.`,
    );
  }
}
