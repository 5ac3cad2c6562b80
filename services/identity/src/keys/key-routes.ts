// Admin endpoint forcing a signing key rotation (after a suspected leak, or to
// rehearse one). The previous key keeps verifying until its tokens expire.

import type { App, Auth } from '@souk/chassis';
import { API_PREFIX, KeyRotation } from '../../contract.ts';
import type { KeyStore } from './key-store.ts';

export function registerKeyRoutes(app: App, deps: { auth: Auth; keys: KeyStore }): void {
  app.post(
    `${API_PREFIX}/keys/rotate`,
    {
      preHandler: deps.auth.required({ roles: ['admin'] }),
      schema: { summary: 'Force a signing key rotation (admin)', response: { 201: KeyRotation } },
    },
    async (_request, reply) => {
      const key = await deps.keys.rotateNow();
      reply.code(201);
      return { kid: key.kid, createdAt: new Date(key.createdAt).toISOString() };
    },
  );
}
