// A stand-in producer for integration tests: a chassis service with the given
// name that only publishes (through its real outbox and feed), so a consumer
// under test reads genuine events without the real producer running.

import { defineService, startService, type EventContract, type PublishOptions, type RunningService } from '@souk/chassis';
import { createTestDatabase, type TestDatabase } from '@souk/chassis/testing';
import type { Static, TObject } from 'typebox';

export interface FakeProducer {
  url: string;
  svc: RunningService;
  /** Publishes `data` as `contract` (in a transaction of its own); returns the event id. */
  publish<S extends TObject>(contract: EventContract<S>, data: Static<S>, options?: PublishOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeProducer(name: string, publishes: readonly EventContract[]): Promise<FakeProducer> {
  const database: TestDatabase = await createTestDatabase(`fake_${name}`);
  const definition = defineService({ name, version: '0.0.0-test', migrations: {}, events: { publishes }, setup() {} });
  const svc = await startService(definition, { env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent', EVENTS_POLL_INTERVAL_MS: '50' } })
    .catch(async (err: unknown) => {
      await database.drop();
      throw err;
    });
  return {
    url: svc.url,
    svc,
    async publish(contract, data, options) {
      const envelope = await svc.ctx.db.transaction().execute((trx) => svc.ctx.events.publish(trx, contract, data, options));
      return envelope.id;
    },
    async close() {
      await svc.stop();
      await database.drop();
    },
  };
}
