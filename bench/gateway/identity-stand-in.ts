// What the gateway benches need of identity, served by their upstream stand-in
// (upstream.ts): a key set, a user's token signed with it, and the gateway's
// own client credentials for the token exchange it does before forwarding an
// authenticated request (the upstream answers the exchange with a fixed token,
// and the gateway then finds it in its exchange cache, as in a long session).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export const BENCH_ISSUER = 'http://gateway-bench.local';

/** A key pair whose public half the upstream serves as identity's JWKS, and a user's token signed with it. */
export async function signedToken(): Promise<{ jwks: string; token: string }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'ES256', use: 'sig' };
  const token = await new SignJWT({ scope: 'openid', roles: [], client_id: 'storefront' })
    .setProtectedHeader({ alg: 'ES256', kid: 'bench-1' })
    .setIssuer(BENCH_ISSUER)
    .setAudience('souk')
    .setSubject('bench-user')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
  return { jwks: JSON.stringify({ keys: [jwk] }), token };
}

/**
 * The gateway's environment as the devhost gives it (tracing, metrics, request lines at debug), with every
 * service, identity included, at `upstream`. The client secret lives in a temporary folder until `cleanup()`.
 */
const BENCH_LIMIT = { perSecond: 1_000_000, burst: 1_000_000 };

export function gatewayEnv(upstream: string, extra: Record<string, string>): { env: Record<string, string>; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-bench-'));
  const secretFile = join(dir, 'client-secret');
  writeFileSync(secretFile, 'bench-gateway-client-secret\n', { mode: 0o600 });
  return {
    env: {
      HOST: '127.0.0.1',
      STATIC_SERVICES: `catalog=${upstream};cart=${upstream};identity=${upstream}`,
      AUTH_ISSUER: BENCH_ISSUER,
      SERVICE_CLIENT_ID: 'svc-gateway',
      SERVICE_CLIENT_SECRET_FILE: secretFile,
      LOG_LEVEL: 'info',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      // Rate limiting on, every request counted (in memory: one gateway), with limits no bench run reaches.
      GATEWAY_RATE_LIMITS: JSON.stringify({ read: BENCH_LIMIT, write: BENCH_LIMIT }),
      // Caching off: every request goes through to the upstream, as the figures compare.
      GATEWAY_RESPONSE_CACHE: 'off',
      ...extra,
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
