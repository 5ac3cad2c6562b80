// Who may do what at the config server. Settings are changed, rolled back and read in full history by
// admins (a user's token with the role admin, exchanged at the gateway). A service reads its own settings
// and publishes its own schema, proven by the SPIFFE id in its client certificate; with mutual TLS off
// (the devhost's --no-mtls) nothing proves who a service is, and those two stay open, as the registry's
// writes do then.

import type { FastifyRequest } from 'fastify';
import { bearerToken, callerIdentity, chassisErrors, RELEASES_SETTING, type Auth, type Identity } from '@souk/chassis';
import { configErrors } from './errors.ts';

export const ADMIN_ROLE = 'admin';

export interface ConfigAccess {
  /** Allows the service named `service` (by its certificate) or an admin; throws 401/403 otherwise. */
  serviceOrAdmin(request: FastifyRequest, service: string): Promise<void>;
  /** Allows an admin only; returns who, for the audit. */
  admin(request: FastifyRequest): Promise<Identity>;
  /**
   * Who may change `service`'s settings: an admin (anything), or for the gateway's `releases` setting a
   * token with `config:releases:write` (`only` is then the one subtree the change may touch).
   */
  changer(request: FastifyRequest, service: string): Promise<{ caller: Identity; only?: string }>;
}

/** The capability that lets the gateway's canary analysis change its `releases` setting. */
export const RELEASES_WRITE = 'config:releases:write';

export function configAccess(auth: Auth, options: { mtls: boolean }): ConfigAccess {
  const verified = async (request: FastifyRequest): Promise<Identity> => {
    const token = bearerToken(request.headers.authorization);
    if (!token) throw chassisErrors.tokenMissing({ headers: { 'www-authenticate': 'Bearer' } });
    return auth.verify(token);
  };
  const admin = async (request: FastifyRequest): Promise<Identity> => {
    const caller = await verified(request);
    if (!caller.roles.includes(ADMIN_ROLE)) throw chassisErrors.forbidden(`Changing settings needs the role ${ADMIN_ROLE}.`);
    return caller;
  };
  return {
    async changer(request, service) {
      const caller = await verified(request);
      if (caller.roles.includes(ADMIN_ROLE)) return { caller };
      if (service === RELEASES_SETTING.service && caller.scopes.includes(RELEASES_WRITE))
        return { caller, only: RELEASES_SETTING.pointer };
      throw chassisErrors.forbidden(`Changing settings needs the role ${ADMIN_ROLE}.`);
    },
    async serviceOrAdmin(request, service) {
      if (!options.mtls) return;
      const peer = callerIdentity(request);
      if (peer?.service === service) return;
      if (request.headers.authorization) {
        await admin(request);
        return;
      }
      throw configErrors.notThisService(
        peer
          ? `The caller is ${peer.spiffeId}; only ${service} itself or an admin may read its settings or publish its schema.`
          : `The request carries no client certificate; only ${service} itself or an admin may read its settings or publish its schema.`,
      );
    },
    admin,
  };
}
