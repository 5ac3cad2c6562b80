// The identity service: wires configuration, stores and routes together.
// Everything it builds gets its clock and database from the chassis context.

import { defineService } from '@souk/chassis';
import { decodeJwt } from 'jose';
import { SignUpAttempted, UserRegistered } from '../contract.ts';
import { migrations } from '../migrations/index.ts';
import { IdentityConfig, readSecrets } from './config.ts';
import type { IdentityDb } from './db.ts';
import { HOUSEKEEPING_INTERVAL_MS, startHousekeeping } from './housekeeping.ts';
import { registerKeyRoutes } from './keys/key-routes.ts';
import { createKeyStore } from './keys/key-store.ts';
import { createClientStore } from './oauth/clients.ts';
import { registerDiscoveryRoutes } from './oauth/discovery-routes.ts';
import { createGrants } from './oauth/grants.ts';
import { registerTokenRoutes } from './oauth/token-routes.ts';
import { createHashQueue } from './throttle/hash-queue.ts';
import { DEFAULT_THROTTLE_POLICY } from './throttle/login-throttle.ts';
import { createRequestLimits } from './throttle/request-limits.ts';
import { createThrottleStore } from './throttle/throttle-store.ts';
import { createRefreshTokenStore } from './tokens/refresh-token-store.ts';
import { bootstrapAdmin } from './users/admin-bootstrap.ts';
import { DEFAULT_SCRYPT_PARAMS } from './users/password-hash.ts';
import { createSignIn } from './users/sign-in.ts';
import { registerUserRoutes } from './users/user-routes.ts';
import { createUserStore } from './users/user-store.ts';

/**
 * Slack on top of the access token lifetime before a retired key leaves the
 * JWKS: instances notice a newer key only when their key cache (5 min in the chassis verifier) expires
 * or a token names a key they do not have,
 * and hosts' clocks differ a little.
 */
const KEY_PUBLICATION_GRACE_MS = 5 * 60_000;

export const identityService = defineService<IdentityDb>()({
  name: 'identity',
  version: '0.1.0',
  config: IdentityConfig,
  migrations,
  // Its schema write needs its own token, which its own token endpoint issues: registered once it serves.
  events: { publishes: [UserRegistered, SignUpAttempted], registerSchemasWhenServing: true },
  async setup(ctx) {
    const { config, log, auth } = ctx;
    const { db } = ctx;
    const now = () => ctx.clock.now();
    const secrets = await readSecrets(config, ctx.secrets);
    const scrypt = { ...DEFAULT_SCRYPT_PARAMS, logN: config.IDENTITY_SCRYPT_LOG_N };
    const accessTtlSeconds = config.IDENTITY_ACCESS_TOKEN_TTL_SECONDS;

    const keySource = () => keys.jwks(true);
    const keys = createKeyStore({
      db,
      kek: secrets.kek,
      now,
      rotationMs: config.IDENTITY_KEY_ROTATION_HOURS * 3_600_000,
      publication: { accessTokenTtlMs: accessTtlSeconds * 1000, graceMs: KEY_PUBLICATION_GRACE_MS },
      onRotate: (kid, reason) => {
        log.info({ kid, reason }, 'signing key rotated');
        // Resetting the source drops the verifier's cached key set, so tokens
        // of the new key verify here at once.
        auth.setKeySource(keySource);
      },
    });
    await keys.init();
    // Identity verifies its own tokens from its key store, not over HTTP.
    auth.setKeySource(keySource);

    const users = createUserStore(db, { events: ctx.events });
    const clients = createClientStore(db);
    const delays = {
      baseDelayMs: DEFAULT_THROTTLE_POLICY.baseDelayMs,
      maxDelayMs: config.IDENTITY_LOGIN_MAX_DELAY_SECONDS * 1000,
      windowMs: config.IDENTITY_LOGIN_WINDOW_SECONDS * 1000,
    };
    const throttle = createThrottleStore(db, {
      account: { ...delays, freeFailures: config.IDENTITY_LOGIN_FREE_FAILURES },
      ip: { ...delays, freeFailures: config.IDENTITY_LOGIN_IP_FREE_FAILURES },
    });
    const limits = createRequestLimits(
      {
        tokenPerIp: { burst: config.IDENTITY_TOKEN_PER_IP_BURST, perMinute: config.IDENTITY_TOKEN_PER_IP_PER_MINUTE },
        tokenPerClient: { burst: config.IDENTITY_TOKEN_PER_CLIENT_BURST, perMinute: config.IDENTITY_TOKEN_PER_CLIENT_PER_MINUTE },
        signupPerIp: { burst: config.IDENTITY_SIGNUP_PER_IP_BURST, perMinute: config.IDENTITY_SIGNUP_PER_IP_PER_MINUTE },
      },
      now,
    );
    const queue = createHashQueue({
      concurrency: config.IDENTITY_HASH_CONCURRENCY,
      maxWaiting: config.IDENTITY_HASH_QUEUE,
      perClient: config.IDENTITY_HASH_PER_IP,
    });
    const refreshTokens = createRefreshTokenStore(db, config.IDENTITY_REFRESH_TOKEN_TTL_SECONDS * 1000);

    if (secrets.clients) {
      const synced = await clients.sync(secrets.clients, new Date(now()));
      log.info(synced, 'OAuth clients synchronised from the identity-clients secret');
    }
    if (secrets.admin) {
      const outcome = await bootstrapAdmin(secrets.admin, { users, now, scrypt, log });
      log.info({ email: secrets.admin.email, outcome }, 'admin account checked');
    }

    const usersTokens = auth.forAudience(config.AUTH_EXTERNAL_AUDIENCE);
    const grants = createGrants({
      users,
      clients,
      refreshTokens,
      keys,
      signIn: createSignIn({ users, throttle, queue, now, scrypt }),
      now,
      settings: {
        issuer: config.AUTH_ISSUER.replace(/\/+$/, ''),
        audience: config.AUTH_EXTERNAL_AUDIENCE,
        ttlSeconds: accessTtlSeconds,
        internalAudience: config.AUTH_AUDIENCE,
        internalTtlSeconds: config.IDENTITY_EXCHANGED_TOKEN_TTL_SECONDS,
      },
      verifySubjectToken: async (token) => {
        // Verified (and remembered until it expires) by the chassis verifier of users' tokens; the claims it
        // does not map (exp, client_id) are read from the payload it has just checked.
        const who = await usersTokens.verify(token);
        const payload = decodeJwt(token);
        if (typeof payload.exp !== 'number' || typeof payload.client_id !== 'string')
          throw new Error('token without exp or client_id');
        return { ...who, clientId: payload.client_id, exp: payload.exp };
      },
      onReuse: ({ clientId }) => log.warn({ clientId }, 'rotated refresh token presented again; its family was revoked'),
    });

    registerDiscoveryRoutes(ctx.app, { issuer: config.AUTH_ISSUER, keys });
    registerTokenRoutes(ctx.app, grants, limits);
    registerUserRoutes(ctx.app, { users, auth, now, scrypt, limits, queue });
    registerKeyRoutes(ctx.app, { auth, keys });

    ctx.addReadinessCheck('signing-keys', async () => {
      await keys.signingKey();
    });
    const housekeeping = startHousekeeping(
      [
        { name: 'expired refresh tokens', run: (at) => refreshTokens.prune(at) },
        { name: 'stale sign-in failures', run: (at) => throttle.prune(at) },
      ],
      { now, log, schedule: { intervalMs: HOUSEKEEPING_INTERVAL_MS, metrics: ctx.metrics } },
    );
    ctx.onClose(() => housekeeping.stop());
  },
});
