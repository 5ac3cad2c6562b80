// The payment provider's own environment variables (validated by the chassis
// with the common ones) and its two API keys, read at start (secrets, or the
// files the older *_FILE variables name).

import type { Secrets } from '@souk/chassis';
import { Type, type Static } from 'typebox';
import type { Behaviour } from '../contract.ts';

export const DEFAULT_LATENCY_MS = 0;
export const DEFAULT_RATE = 0;
/** Shorter keys are refused at start: a guessable key would let anyone move money. */
export const MIN_KEY_LENGTH = 16;

const Rate = (what: string) => Type.Number({ default: DEFAULT_RATE, minimum: 0, maximum: 1, description: what });

export const ProviderConfig = Type.Object({
  PAYMENT_PROVIDER_API_KEY_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description: "file holding the merchant's API key (one line); otherwise the secret payment-provider-api-key",
    }),
  ),
  PAYMENT_PROVIDER_ADMIN_KEY_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'file holding the admin key for /v1/_admin (one line); otherwise the secret payment-provider-admin-key',
    }),
  ),
  PAYMENT_PROVIDER_LATENCY_MS: Type.Integer({
    default: DEFAULT_LATENCY_MS,
    minimum: 0,
    maximum: 60_000,
    description: 'delay added to every POST after its work is committed',
  }),
  PAYMENT_PROVIDER_DECLINE_RATE: Rate('share of approvable authorizations declined anyway, 0..1'),
  PAYMENT_PROVIDER_ERROR_RATE: Rate('share of POSTs answered 500 before any work, 0..1'),
  PAYMENT_PROVIDER_TIMEOUT_RATE: Rate('share of POSTs that do their work and then hold the answer for 30 s, 0..1'),
  PAYMENT_PROVIDER_OUTAGE: Type.Boolean({
    default: false,
    description: 'start in an outage: every call except /v1/_admin answers 503',
  }),
});
export type ProviderConfig = Static<typeof ProviderConfig>;

export interface ApiKeys {
  merchant: string;
  admin: string;
}

/** The behaviour the provider starts with (and returns to on DELETE /v1/_admin/behaviour). */
export function initialBehaviour(config: ProviderConfig): Behaviour {
  return {
    latencyMs: config.PAYMENT_PROVIDER_LATENCY_MS,
    declineRate: config.PAYMENT_PROVIDER_DECLINE_RATE,
    errorRate: config.PAYMENT_PROVIDER_ERROR_RATE,
    timeoutRate: config.PAYMENT_PROVIDER_TIMEOUT_RATE,
    outage: config.PAYMENT_PROVIDER_OUTAGE,
  };
}

/** A key file's one line; every problem names the variable. */
export function parseKeyFile(text: string, variable: string): string {
  // Only the line break an editor adds is dropped.
  const key = text.replace(/\r?\n$/, '');
  if (/\s/.test(key)) throw new Error(`${variable}: the key must be one line without spaces`);
  if (key.length < MIN_KEY_LENGTH)
    throw new Error(`${variable}: the key must be at least ${MIN_KEY_LENGTH} characters (got ${key.length})`);
  return key;
}

/** The names of the provider's secrets (files in SECRETS_DIR, keys in Vault). */
export const PROVIDER_SECRETS = { apiKey: 'payment-provider-api-key', adminKey: 'payment-provider-admin-key' } as const;

export async function readApiKeys(config: ProviderConfig, secrets: Secrets): Promise<ApiKeys> {
  const merchantText = await secrets.read(PROVIDER_SECRETS.apiKey, {
    variable: 'PAYMENT_PROVIDER_API_KEY_FILE',
    path: config.PAYMENT_PROVIDER_API_KEY_FILE,
  });
  const merchant = parseKeyFile(merchantText, 'PAYMENT_PROVIDER_API_KEY_FILE');
  const adminText = await secrets.read(PROVIDER_SECRETS.adminKey, {
    variable: 'PAYMENT_PROVIDER_ADMIN_KEY_FILE',
    path: config.PAYMENT_PROVIDER_ADMIN_KEY_FILE,
  });
  const admin = parseKeyFile(adminText, 'PAYMENT_PROVIDER_ADMIN_KEY_FILE');
  // One key for both would make every merchant an admin of the simulator.
  if (merchant === admin) throw new Error('PAYMENT_PROVIDER_ADMIN_KEY_FILE: the admin key must differ from the merchant key');
  return { merchant, admin };
}
