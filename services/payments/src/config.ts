// The payments service's own environment variables (validated by the chassis
// with the common ones) and the provider's merchant API key, a secret.

import type { Secrets } from '@souk/chassis';
import { Type, type Static } from 'typebox';

export const DEFAULT_PROVIDER_TIMEOUT_MS = 2_000;
export const DEFAULT_SNAPSHOT_EVERY = 50;
export const DEFAULT_CANCELLATION_POLL_MS = 1_000;
export const DEFAULT_CANCELLATION_PARK_AFTER = 10;
export const DEFAULT_CANCELLATION_RETRY_BASE_MS = 1_000;
export const DEFAULT_CANCELLATION_RETRY_CAP_MS = 300_000;
export const DEFAULT_CANCELLATION_LEASE_MS = 60_000;

export const PaymentsConfig = Type.Object({
  PAYMENT_PROVIDER_API_KEY_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'file holding the merchant API key for the payment provider (one line); otherwise the secret payment-provider-api-key',
    }),
  ),
  PAYMENTS_PROVIDER_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_PROVIDER_TIMEOUT_MS,
    minimum: 50,
    maximum: 60_000,
    description:
      'timeout of each attempt of a call to the payment provider; a timed-out call is retried with the same Idempotency-Key',
  }),
  PAYMENTS_SNAPSHOT_EVERY: Type.Integer({
    default: DEFAULT_SNAPSHOT_EVERY,
    minimum: 0,
    maximum: 100_000,
    description: 'snapshot a payment stream every this many events (0: never)',
  }),
  PAYMENTS_CANCELLATION_POLL_MS: Type.Integer({
    default: DEFAULT_CANCELLATION_POLL_MS,
    minimum: 10,
    maximum: 60_000,
    description:
      'how often the jobs runner looks for due cancellations (the commit of a ShipmentFailed that enqueued one wakes every instance at once)',
  }),
  PAYMENTS_CANCELLATION_PARK_AFTER: Type.Integer({
    default: DEFAULT_CANCELLATION_PARK_AFTER,
    minimum: 1,
    maximum: 1_000,
    description:
      'failed attempts after which a cancellation is PARKED for an operator (POST /_admin/payments/cancellations/{orderId}/retry)',
  }),
  PAYMENTS_CANCELLATION_RETRY_BASE_MS: Type.Integer({
    default: DEFAULT_CANCELLATION_RETRY_BASE_MS,
    minimum: 1,
    maximum: 3_600_000,
    description: 'backoff after the first failed attempt of a cancellation; doubles per attempt, with jitter',
  }),
  PAYMENTS_CANCELLATION_RETRY_CAP_MS: Type.Integer({
    default: DEFAULT_CANCELLATION_RETRY_CAP_MS,
    minimum: 1,
    maximum: 86_400_000,
    description: 'longest backoff between attempts of a cancellation',
  }),
  PAYMENTS_CANCELLATION_LEASE_MS: Type.Integer({
    default: DEFAULT_CANCELLATION_LEASE_MS,
    minimum: 1_000,
    maximum: 3_600_000,
    description:
      "how long a claimed cancellation stays an instance's own: after that (its instance died) another instance takes it over",
  }),
});
export type PaymentsConfig = Static<typeof PaymentsConfig>;

/** The key file's one line; every problem names the variable. */
export function parseApiKey(text: string): string {
  const key = text.replace(/\r?\n$/, '');
  if (key.length === 0) throw new Error('PAYMENT_PROVIDER_API_KEY_FILE: the file is empty');
  if (/\s/.test(key)) throw new Error('PAYMENT_PROVIDER_API_KEY_FILE: the key must be one line without spaces');
  return key;
}

/** The secret holding the provider's merchant API key (a file in SECRETS_DIR, a key in Vault). */
export const PROVIDER_API_KEY_SECRET = 'payment-provider-api-key';

export async function readApiKey(config: PaymentsConfig, secrets: Secrets): Promise<string> {
  return parseApiKey(
    await secrets.read(PROVIDER_API_KEY_SECRET, {
      variable: 'PAYMENT_PROVIDER_API_KEY_FILE',
      path: config.PAYMENT_PROVIDER_API_KEY_FILE,
    }),
  );
}
