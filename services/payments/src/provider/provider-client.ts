// The payment provider's HTTP API, through the chassis client (discovery name
// `payment-provider`: retries, breaker, bulkhead, per-attempt timeout). Every
// POST carries the Idempotency-Key the domain chose (paymentId + operation),
// so the client's own retries after a timeout are safe: the provider replays
// its first answer instead of acting twice.

import type { ServiceClient } from '@souk/chassis';
import { classifyFailure, type ProviderAuthorization, type ProviderCall, type ProviderOutcome } from './provider-calls.ts';

export const PROVIDER_SERVICE = 'payment-provider';

export interface ProviderClient {
  /** Makes the call; never throws for what the provider answered or failed to: the outcome says. */
  run(call: ProviderCall): Promise<ProviderOutcome>;
}

export interface ProviderClientDeps {
  client: ServiceClient;
  /** The merchant API key (PAYMENT_PROVIDER_API_KEY_FILE). */
  apiKey: string;
  /** Per attempt (PAYMENTS_PROVIDER_TIMEOUT_MS). */
  timeoutMs: number;
}

interface Capture {
  id: string;
  amount: number;
}
interface Refund {
  id: string;
  amount: number;
}

export function createProviderClient(deps: ProviderClientDeps): ProviderClient {
  // Our key, not the caller's token: the provider is a third party and knows nothing of souk's identities.
  const headers = { authorization: `Bearer ${deps.apiKey}` };
  const post = async <T>(path: string, body: unknown, idempotencyKey: string): Promise<T> =>
    (await deps.client.request<T>({ method: 'POST', path, body, idempotencyKey, headers, timeoutMs: deps.timeoutMs })).body;
  const get = async <T>(path: string, query?: Record<string, string | number>): Promise<T> =>
    (await deps.client.request<T>({ method: 'GET', path, headers, timeoutMs: deps.timeoutMs, ...(query ? { query } : {}) })).body;
  const auth = (a: ProviderAuthorization): ProviderOutcome => ({ kind: 'authorization', authorization: a });
  const path = (id: string) => `/v1/authorizations/${encodeURIComponent(id)}`;

  async function send(call: ProviderCall): Promise<ProviderOutcome> {
    switch (call.op) {
      case 'authorize':
        return auth(
          await post<ProviderAuthorization>(
            '/v1/authorizations',
            {
              amount: call.amountCents,
              currency: call.currency,
              paymentMethod: call.paymentMethod,
              reference: call.reference,
            },
            call.idempotencyKey,
          ),
        );
      case 'find-authorizations': {
        const list = await get<{ data: ProviderAuthorization[] }>('/v1/authorizations', {
          reference: call.reference,
          limit: 100,
        });
        return { kind: 'found', authorizations: list.data };
      }
      case 'get-authorization':
        return auth(await get<ProviderAuthorization>(path(call.authorizationId)));
      case 'capture': {
        const capture = await post<Capture>(`${path(call.authorizationId)}/capture`, {}, call.idempotencyKey);
        return { kind: 'captured', captureId: capture.id, amountCents: capture.amount };
      }
      case 'void':
        return auth(await post<ProviderAuthorization>(`${path(call.authorizationId)}/void`, {}, call.idempotencyKey));
      case 'refund': {
        const refund = await post<Refund>(
          '/v1/refunds',
          { captureId: call.captureId, amount: call.amountCents, reason: call.reason },
          call.idempotencyKey,
        );
        return { kind: 'refunded', refundId: refund.id, amountCents: refund.amount };
      }
    }
  }

  return {
    async run(call) {
      try {
        return await send(call);
      } catch (err) {
        return classifyFailure(err);
      }
    },
  };
}
