// Shared set-up of the notifications service's integration tests: a throwaway
// database, a running instance (restartable on the same database), a token
// issuer, and small HTTP helpers.

import pg from 'pg';
import { eventsReadScope, startService, type RunningServiceOf } from '@souk/chassis';
import { createTestDatabase, sharedTestIssuer, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { notificationsService } from '../src/service.ts';

export const API = '/api/v1/notifications';

export interface Harness {
  svc: RunningServiceOf<typeof notificationsService>;
  database: TestDatabase;
  issuer: TestIssuer;
  /** A customer token for this user id. */
  tokenFor(userId: string): Promise<string>;
  /** Stops the instance, runs `between` (with the instance down), starts a new one on the same database. */
  restart(between?: () => Promise<void>): Promise<void>;
  /** One statement on the service's database over a connection of its own (works while the instance is down). */
  query(text: string): Promise<void>;
  close(): Promise<void>;
}

/** What the devhost grants notifications' client: the feeds it reads. */
export const NOTIFICATIONS_FEEDS = ['identity', 'orders', 'shipping'].map(eventsReadScope);

/**
 * Reads feeds with a token of the shared test issuer (stand-in producers accept it), unless `env`
 * gives the service an OAuth client of its own (SERVICE_CLIENT_ID: a real identity issues its token).
 */
export async function startNotifications(label: string, env: Record<string, string> = {}): Promise<Harness> {
  const database = await createTestDatabase(label);
  const issuer = await sharedTestIssuer();
  const start = async () => {
    const svc = await startService(notificationsService, {
      env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent', ...env },
      ...(env.SERVICE_CLIENT_ID ? {} : { serviceToken: issuer.serviceToken('svc-notifications', NOTIFICATIONS_FEEDS) }),
    });
    svc.ctx.auth.setKeySource(issuer.keySource);
    return svc;
  };
  let svc: RunningServiceOf<typeof notificationsService>;
  try {
    svc = await start();
  } catch (err) {
    await database.drop();
    throw err;
  }
  const harness: Harness = {
    svc,
    database,
    issuer,
    tokenFor: (userId) => issuer.token({ sub: userId }),
    async restart(between) {
      await harness.svc.stop();
      await between?.();
      harness.svc = await start();
    },
    async query(text) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    },
    async close() {
      await harness.svc.stop();
      await database.drop();
    },
  };
  return harness;
}

export { call, assertProblem, type Answer } from '@souk/chassis/testing';
