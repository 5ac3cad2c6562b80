// The budgets in front of everything that costs CPU at identity: token
// requests per client IP, client_credentials requests per client id, sign-ups
// per client IP. Kept in each instance's memory, not in the database: they
// protect the instance's own CPU (a shared count would cost a database round
// trip per request, the very thing a flood must not get for free), and with k
// instances behind the gateway a client gets at most k times the budget.

import type { SoukError } from '@souk/chassis';
import { errors } from '../errors.ts';
import { oauthError } from '../oauth/oauth-errors.ts';
import { retryAfterSeconds } from './login-throttle.ts';
import { createBuckets, type BucketPolicy } from './token-bucket.ts';

export interface RequestLimitPolicies {
  tokenPerIp: BucketPolicy;
  tokenPerClient: BucketPolicy;
  signupPerIp: BucketPolicy;
}

export type LimitName = keyof RequestLimitPolicies;

const WHAT: Record<LimitName, string> = {
  tokenPerIp: 'token requests from this address',
  tokenPerClient: 'token requests for this client',
  signupPerIp: 'sign-ups from this address',
};

/** The 429 of a used-up budget: OAuth-shaped at the token endpoint, a plain problem elsewhere. */
export function rateLimitedError(name: LimitName, retryAfterMs: number, oauth: boolean): SoukError {
  const seconds = retryAfterSeconds(retryAfterMs);
  const detail = `Too many ${WHAT[name]}; try again in ${seconds} seconds.`;
  const options = { headers: { 'retry-after': String(seconds) }, extensions: { retryAfter: seconds } };
  return oauth
    ? oauthError('temporarily_unavailable', detail, { factory: errors.rateLimited, ...options })
    : errors.rateLimited({ detail, ...options });
}

export function createRequestLimits(policies: RequestLimitPolicies, now: () => number) {
  const buckets = {
    tokenPerIp: createBuckets(policies.tokenPerIp),
    tokenPerClient: createBuckets(policies.tokenPerClient),
    signupPerIp: createBuckets(policies.signupPerIp),
  };
  return {
    /** Takes one request from `key`'s budget of `name`; throws the 429 when it is used up. */
    take(name: LimitName, key: string, options: { oauth: boolean }): void {
      const decision = buckets[name].take(key, now());
      if (!decision.allowed) throw rateLimitedError(name, decision.retryAfterMs, options.oauth);
    },
  };
}

export type RequestLimits = ReturnType<typeof createRequestLimits>;
