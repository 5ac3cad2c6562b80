// Runs a processing call (every POST) under its Idempotency-Key, in the order
// a real processor's front end would: injected error (nothing done, nothing
// stored) → claim the key → work and stored response in one transaction →
// simulated latency (after the commit: a caller that times out still has its
// effect made) → answer. A repeat of a completed key gets the stored answer
// at once, marked `Idempotent-Replayed: true`.

import { isSoukError, PROBLEM_CONTENT_TYPE, toProblem, type SoukError } from '@souk/chassis';
import { IDEMPOTENCY_KEY_PATTERN } from '../../contract.ts';
import type { ProviderDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { fires, holdAfterWork, type BehaviourSettings, type Pauses } from '../behaviour/behaviour.ts';
import { fingerprint, type IdempotencyStore, type StoredResponse } from './idempotency-store.ts';

/** What the work decided: a result, or a refusal that is final and stored like one (a decline). */
export type Outcome = { status: number; body: unknown } | { problem: SoukError };

export interface IdempotencyDeps {
  db: ProviderDatabase;
  keys: IdempotencyStore;
  behaviour: BehaviourSettings;
  pauses: Pauses;
  random: () => number;
  log: { warn(obj: object, msg: string): void };
}

/** The parts of a Fastify request and reply this needs (structural: no Fastify import). */
export interface KeyedCall {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}
export interface Reply {
  code(status: number): unknown;
  header(name: string, value: string): unknown;
  // Method syntax on purpose: Fastify's typed send (the route's response schema) fits it.
  send(payload?: unknown): unknown;
}

const KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

/** onRequest hook of every POST: the key must be there and well formed before anything else is looked at. */
export async function requireIdempotencyKey(request: { headers: Record<string, string | string[] | undefined> }): Promise<void> {
  const key = request.headers['idempotency-key'];
  if (key === undefined || key === '') {
    throw errors.idempotencyKeyMissing(
      'Send an Idempotency-Key header: a unique value for this operation, reused only to retry it.',
    );
  }
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw errors.idempotencyKeyInvalid(
      'The Idempotency-Key must be one value of 1 to 255 printable ASCII characters without spaces.',
    );
  }
}

const pathOf = (url: string) => url.split('?')[0] ?? url;

function problemResponse(err: SoukError, instance: string): StoredResponse {
  return { status: err.status, body: JSON.stringify(toProblem(err, { instance })) };
}

/** The stored text goes out as is (a string payload skips Fastify's serializer), so a replay is byte for byte the first answer. */
function send(reply: Reply, response: StoredResponse, replayed: boolean): void {
  const type = response.status >= 400 ? PROBLEM_CONTENT_TYPE : 'application/json';
  reply.code(response.status);
  reply.header('content-type', `${type}; charset=utf-8`);
  if (replayed) reply.header('idempotent-replayed', 'true');
  reply.send(response.body);
}

export async function runIdempotent(
  deps: IdempotencyDeps,
  request: KeyedCall,
  reply: Reply,
  work: (trx: ProviderDatabase) => Promise<Outcome>,
): Promise<void> {
  const behaviour = deps.behaviour.current();
  const path = pathOf(request.url);
  // Before the claim: an injected failure leaves nothing behind, so a retry with the same key does the work.
  if (fires(behaviour.errorRate, deps.random)) {
    throw errors.processingError(
      'Simulated processing error (errorRate): nothing was done; retry with the same Idempotency-Key.',
    );
  }
  const key = request.headers['idempotency-key'] as string;
  const claim = await deps.keys.claim(key, fingerprint(request.method, path, request.body));
  if (claim.kind === 'mismatch') {
    throw errors.idempotencyKeyReused({
      detail: `Idempotency-Key ${key} was first used with another request; use a new key for a new operation.`,
      extensions: { idempotencyKey: key },
    });
  }
  if (claim.kind === 'in-use') {
    throw errors.idempotencyKeyInUse({
      detail: `A request with Idempotency-Key ${key} is being processed; retry shortly for its result.`,
      extensions: { idempotencyKey: key },
      headers: { 'retry-after': '1' },
    });
  }
  if (claim.kind === 'replay') return send(reply, claim.response, true);

  let response: StoredResponse;
  try {
    response = await deps.db.transaction().execute(async (trx) => {
      const outcome = await work(trx);
      const done =
        'problem' in outcome
          ? problemResponse(outcome.problem, path)
          : { status: outcome.status, body: JSON.stringify(outcome.body) };
      await deps.keys.complete(trx, key, done);
      return done;
    });
  } catch (err) {
    if (isSoukError(err) && err.status < 500) {
      // The request was refused for what it asked (an unknown id, a second capture): that answer is
      // final and a retry must get it again, as with a real processor.
      response = problemResponse(err, path);
      await deps.keys.complete(deps.db, key, response);
    } else {
      await deps.keys
        .release(key)
        .catch((releaseErr: unknown) => deps.log.warn({ err: releaseErr, key }, 'could not release an idempotency key'));
      throw err;
    }
  }
  await deps.pauses.wait(holdAfterWork(behaviour, deps.random));
  return send(reply, response, false);
}
