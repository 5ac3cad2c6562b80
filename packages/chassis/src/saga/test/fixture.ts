// A three-step saga for the engine's tests. Each step and compensation records
// what it did in saga_effects; `behaviour` lets a test make one fail, hang or
// count how many run at once.

import { sql, type Kysely } from 'kysely';
import { defineService } from '../../service.ts';
import { defineSaga, parallel, type SagaDefinition, type StepContext } from '../saga-definition.ts';
import { useSagas } from '../use-sagas.ts';

export const DEMO = 'demo';
export type DemoState = { n: number; one?: string; two?: string; three?: string };

/** Called before a step or compensation records its effect: throw to fail, never resolve to hang. */
export type Hook = (ctx: StepContext<DemoState>, phase: 'run' | 'compensate') => Promise<void> | void;

export interface DemoOptions {
  behaviour?: Hook;
  timeoutMs?: number;
  attemptTimeoutMs?: number;
  retry?: { baseMs?: number; capMs?: number };
  /** Step three runs in the progress transaction. */
  transactionalThree?: boolean;
  /** Steps two and three run at once (parallel(...)). */
  parallelTwoThree?: boolean;
}

export const effectsMigration = {
  async up(db: Kysely<any>) {
    await sql`create table saga_effects (seq bigserial primary key, saga_id text not null, step text not null, phase text not null,
      attempt integer, key text, detail text, at timestamptz not null default clock_timestamp())`.execute(db);
  },
};

async function record(
  db: Kysely<any>,
  sagaId: string,
  step: string,
  phase: string,
  attempt: number | null,
  key: string | null,
  detail: string | null,
) {
  await sql`insert into saga_effects (saga_id, step, phase, attempt, key, detail) values (${sagaId}, ${step}, ${phase}, ${attempt}, ${key}, ${detail})`.execute(
    db,
  );
}

export function demoSaga(o: DemoOptions = {}): SagaDefinition<DemoState> {
  const step = (name: 'one' | 'two' | 'three') => ({
    name,
    timeoutMs: o.timeoutMs ?? 5_000,
    ...(o.attemptTimeoutMs ? { attemptTimeoutMs: o.attemptTimeoutMs } : {}),
    retry: o.retry ?? { baseMs: 10, capMs: 50 },
    compensationRetry: o.retry ?? { baseMs: 10, capMs: 50 },
    ...(name === 'three' && o.transactionalThree ? { transactional: true } : {}),
    async run(ctx: StepContext<DemoState>) {
      // Recorded first in a transactional step: a failure after it must roll it back.
      if (ctx.db.isTransaction) await record(ctx.db, ctx.sagaId, name, 'run', ctx.attempt, ctx.idempotencyKey, null);
      await o.behaviour?.(ctx, 'run');
      if (!ctx.db.isTransaction) await record(ctx.db, ctx.sagaId, name, 'run', ctx.attempt, ctx.idempotencyKey, null);
      return { [name]: `${name}-${ctx.state.n}` };
    },
    async compensate(ctx: StepContext<DemoState>) {
      await o.behaviour?.(ctx, 'compensate');
      await record(ctx.db, ctx.sagaId, name, 'compensate', ctx.attempt, ctx.idempotencyKey, ctx.failure?.code ?? null);
    },
  });
  return defineSaga<DemoState>({
    name: DEMO,
    steps: o.parallelTwoThree
      ? [step('one'), ...parallel(step('two'), step('three'))]
      : [step('one'), step('two'), step('three')],
    async onCompleted({ db, sagaId, state }) {
      await record(db, sagaId, 'END', 'completed', null, null, JSON.stringify(state));
    },
    async onCompensated({ db, sagaId, failure }) {
      await record(db, sagaId, 'END', 'compensated', null, null, failure?.code ?? null);
    },
  });
}

/** The saga inside a service (for the admin routes and the crash tests): POST /start { id, n } starts one. */
export function demoService(o: DemoOptions & { leaseMs?: number; parkAfter?: number } = {}) {
  return defineService({
    name: 'saga-demo',
    version: '0.0.0',
    migrations: { '001_effects': effectsMigration },
    setup(ctx) {
      const sagas = useSagas(ctx, {
        sagas: [demoSaga(o)],
        ...(o.leaseMs ? { leaseMs: o.leaseMs } : {}),
        ...(o.parkAfter ? { compensationParkAfter: o.parkAfter } : {}),
        pollIntervalMs: 100,
      });
      ctx.app.post<{ Body: { id: string; n: number } }>('/start', async (req) => {
        await ctx.db.transaction().execute((trx) => sagas.start(trx, DEMO, req.body.id, { n: req.body.n }));
        sagas.wake(req.body.id);
        return { started: req.body.id };
      });
    },
  });
}
