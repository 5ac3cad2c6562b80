// Runs a processing call (every POST) under its Idempotency-Key, in the order
// a real processor's front end would: injected error (nothing done, nothing
// stored) → the work decides (its reads, locked in a transaction when it has
// any) → its writes and the stored answer in one statement → simulated
// latency (after the commit: a caller that times out still has its effect
// made) → answer. A repeat of a completed key gets the stored answer, marked
// `Idempotent-Replayed: true`; its work's writes are not made.

import { isSoukError, PROBLEM_CONTENT_TYPE, toProblem, type SoukError } from '@souk/chassis';
import { IDEMPOTENCY_KEY_PATTERN } from '../../contract.ts';
import type { ProviderDatabase } from '../db.ts';
import { errors } from '../errors.ts';
import { fires, holdAfterWork, type BehaviourSettings, type Pauses } from '../behaviour/behaviour.ts';
import { fingerprint, type GuardedWrite, type IdempotencyStore, type StoredResponse } from './idempotency-store.ts';

/** What the work decided: a result, or a refusal that is final and stored like one (a decline). */
export type Outcome = { status: number; body: unknown } | { problem: SoukError };

/** The work's answer and the writes that make it true, made only if this request records the key. */
export interface Decided {
  outcome: Outcome;
  writes?: readonly GuardedWrite[];
}

/**
 * The work of a call: reads what it needs through `db` and decides. With
 * `locks`, `db` is a transaction that the record joins (the work's reads lock
 * what its writes change); without, the record is a statement of its own.
 * A refusal it throws (a 4xx coded error) is recorded as the answer.
 */
export interface Work {
  locks: boolean;
  decide(db: ProviderDatabase): Promise<Decided>;
}

export interface IdempotencyDeps {
  db: ProviderDatabase;
  keys: IdempotencyStore;
  behaviour: BehaviourSettings;
  pauses: Pauses;
  random: () => number;
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

export async function runIdempotent(deps: IdempotencyDeps, request: KeyedCall, reply: Reply, work: Work): Promise<void> {
  const behaviour = deps.behaviour.current();
  const path = pathOf(request.url);
  // Before anything: an injected failure leaves nothing behind, so a retry with the same key does the work.
  if (fires(behaviour.errorRate, deps.random)) {
    throw errors.processingError(
      'Simulated processing error (errorRate): nothing was done; retry with the same Idempotency-Key.',
    );
  }
  const key = request.headers['idempotency-key'] as string;
  const print = fingerprint(request.method, path, request.body);

  const run = async (db: ProviderDatabase) => {
    let decided: Decided;
    try {
      decided = await work.decide(db);
    } catch (err) {
      // The request was refused for what it asked (an unknown id, a second capture): that answer is
      // final and a retry must get it again, as with a real processor. Anything else records nothing.
      if (!isSoukError(err) || err.status >= 500) throw err;
      decided = { outcome: { problem: err } };
    }
    const { outcome } = decided;
    const response =
      'problem' in outcome
        ? problemResponse(outcome.problem, path)
        : { status: outcome.status, body: JSON.stringify(outcome.body) };
    const claim = await deps.keys.record(db, key, print, response, decided.writes ?? []);
    return { claim, response };
  };
  const { claim, response } = work.locks ? await deps.db.transaction().execute(run) : await run(deps.db);

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
  await deps.pauses.wait(holdAfterWork(behaviour, deps.random));
  return send(reply, response, false);
}
