// Plumbing for the saga engine's integration tests: a throwaway database with
// the chassis tables and saga_effects, runners on it, and queries on what ran.

import { trace } from '@opentelemetry/api';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { createDatabase, type Database } from '../../db/database.ts';
import { chassisMigrations } from '../../db/chassis-migrations.ts';
import { CHASSIS_MIGRATION_TABLE } from '../../events/migrations.ts';
import { createLogger } from '../../logging.ts';
import { createTestDatabase, waitFor, type TestDatabase } from '../../testing/index.ts';
import type { SagaDefinition, SagaStatus } from '../saga-definition.ts';
import { createSagaRunner, type SagaRunner, type SagaRunnerOptions } from '../saga-runner.ts';
import { DEMO, effectsMigration } from './fixture.ts';

export const log = createLogger({
  service: 'saga-test',
  instance: 'test',
  level: (process.env.FIXTURE_LOG_LEVEL ?? 'silent') as 'silent',
});

export interface Effect {
  seq: number;
  saga_id: string;
  step: string;
  phase: string;
  attempt: number | null;
  key: string | null;
  detail: string | null;
}

export interface SagaTestDb {
  test: TestDatabase;
  db: Kysely<any>;
  /** A runner on this database (stopped at close); `run: false` leaves it idle (to start sagas only). */
  runner(saga: SagaDefinition, options?: Partial<SagaRunnerOptions> & { run?: boolean }): SagaRunner;
  start(runner: SagaRunner, id: string, n?: number): Promise<void>;
  waitStatus(runner: SagaRunner, id: string, status: SagaStatus, timeoutMs?: number): Promise<void>;
  effects(sagaId: string): Promise<Effect[]>;
  /** Stops the runners made so far (each test's runners have their own behaviour: stop them before the next test). */
  stopRunners(): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;

export async function sagaTestDb(label: string): Promise<SagaTestDb> {
  const test = await createTestDatabase(`saga_${label}`);
  const database: Database = createDatabase({
    url: test.url,
    poolSize: 8,
    applicationName: `saga-test-${label}`,
    tracer: trace.getTracer('test'),
    log,
  });
  await database.migrate(chassisMigrations, CHASSIS_MIGRATION_TABLE);
  await database.migrate({ '001_effects': effectsMigration });
  const runners: SagaRunner[] = [];
  const { db } = database;
  return {
    test,
    db,
    runner(saga, options = {}) {
      const { run = true, ...rest } = options;
      const runner = createSagaRunner({
        db,
        log,
        metrics: new Registry(),
        owner: `runner-${++counter}`,
        sagas: [saga],
        databaseUrl: test.url,
        pollIntervalMs: 200,
        ...rest,
      });
      runners.push(runner);
      if (run) runner.run();
      return runner;
    },
    async start(runner, id, n = 1) {
      await db.transaction().execute((trx) => runner.start(trx, DEMO, id, { n }));
      runner.wake(id);
    },
    async waitStatus(runner, id, status, timeoutMs = 15_000) {
      await waitFor(async () => (await runner.get(id))?.status === status, { timeoutMs, what: `saga ${id} ${status}` }).catch(
        async (err) => {
          const view = await runner.get(id);
          throw new Error(
            `${(err as Error).message}; it is ${view?.status}: ${JSON.stringify(view?.log.map((l) => [l.kind, l.step, l.errorCode]))}`,
          );
        },
      );
    },
    async effects(sagaId) {
      const rows = await database.db
        .selectFrom('saga_effects')
        .selectAll()
        .where('saga_id', '=', sagaId)
        .orderBy('seq')
        .execute();
      return rows as Effect[];
    },
    async stopRunners() {
      await Promise.allSettled(runners.splice(0).map((r) => r.stop()));
    },
    async close() {
      await Promise.allSettled(runners.map((r) => r.stop()));
      await database.close();
      await test.drop();
    },
  };
}
