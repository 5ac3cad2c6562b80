// Database isolation on a real PostgreSQL: every service role uses its own database and is refused by
// every other one. Runs against DATABASE_URL when set (names get a random prefix there), else against
// an embedded PostgreSQL in a temp dir.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { anyFreePort } from './data-dir.ts';
import { DEFAULT_TEST_SERVER } from '@souk/chassis/testing';
import { embeddedPostgresBlocked, startEmbeddedPostgres, type RunningPostgres } from './postgres.ts';
import { provisionDatabases, serviceDatabaseUrl, type DatabaseTarget } from './provision.ts';
import { randomToken } from './secrets.ts';
import { SERVICES, databaseName } from './services.ts';

// As root with the repository where the postgres OS user cannot reach it, embedded PostgreSQL cannot run:
// then the test uses the local server, and says so, rather than failing for a reason that is not the code's.
const blocked = process.env.DATABASE_URL
  ? undefined
  : await embeddedPostgresBlocked(path.join(tmpdir(), 'souk-provision', 'postgres'));
if (blocked) process.stdout.write(`# embedded PostgreSQL cannot run here (${blocked}); using ${DEFAULT_TEST_SERVER}\n`);
const external = process.env.DATABASE_URL ?? (blocked ? DEFAULT_TEST_SERVER : undefined);
const prefix = external
  ? `souk_t${randomToken(4)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x')}_`
  : 'souk_';
const targets: DatabaseTarget[] = SERVICES.filter((s) => s.database).map((s) => ({
  service: s.name,
  name: databaseName(s.name, prefix),
  password: randomToken(),
}));
let adminUrl: string;
let postgres: RunningPostgres | undefined;
let dataDir: string | undefined;

before(async () => {
  if (external) {
    adminUrl = external;
  } else {
    dataDir = await mkdtemp(path.join(tmpdir(), 'souk-provision-'));
    postgres = await startEmbeddedPostgres({
      dir: path.join(dataDir, 'postgres'),
      port: await anyFreePort(),
      password: randomToken(),
      logFile: path.join(dataDir, 'postgres.log'),
    });
    adminUrl = postgres.adminUrl;
  }
  await provisionDatabases(adminUrl, targets, { lockDownMaintenanceDatabases: !external });
});

after(async () => {
  if (external) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    for (const t of targets) {
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(t.name)} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(t.name)}`);
    }
    await admin.end();
  }
  await postgres?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Connects and runs `sql`; returns the SQLSTATE of the failure, or 'ok'. */
async function attempt(url: string, sql = 'SELECT 1'): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query(sql);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The service's URL with the password added, as the chassis does from the secret database-password. */
function withPassword(serviceUrl: string, password: string): string {
  const url = new URL(serviceUrl);
  url.password = encodeURIComponent(password);
  return url.toString();
}

function urlFor(role: DatabaseTarget, database: string): string {
  const url = new URL(withPassword(serviceDatabaseUrl(adminUrl, role), role.password));
  url.pathname = '/' + database;
  return url.toString();
}

test('a service URL carries no password and nothing of the admin URL but the server', () => {
  const url = new URL(
    serviceDatabaseUrl('postgres://postgres:superpw@db.example:6543/postgres?sslmode=require&password=qp', { name: 'souk_x' }),
  );
  assert.equal(url.password, '');
  assert.equal(url.username, 'souk_x');
  assert.equal(url.host, 'db.example:6543');
  assert.equal(url.pathname, '/souk_x');
  assert.equal(url.search, '?sslmode=require');
});

test('each service role can create, write and read tables in its own database', async () => {
  for (const t of targets) {
    const url = withPassword(serviceDatabaseUrl(adminUrl, t), t.password);
    assert.equal(await attempt(url, 'CREATE TABLE IF NOT EXISTS probe (id int primary key)'), 'ok', t.name);
    assert.equal(await attempt(url, 'INSERT INTO probe VALUES (1) ON CONFLICT DO NOTHING'), 'ok', t.name);
    assert.equal(await attempt(url, 'SELECT * FROM probe'), 'ok', t.name);
  }
});

test('each service role is refused by every other service database', async () => {
  assert.ok(targets.length >= 2, 'needs at least two database services');
  for (const role of targets) {
    for (const other of targets.filter((t) => t !== role)) {
      // 42501 insufficient_privilege: "permission denied for database"
      assert.equal(await attempt(urlFor(role, other.name)), '42501', `${role.name} -> ${other.name}`);
    }
  }
});

test(
  'in our own cluster the maintenance databases are closed to service roles too',
  { skip: !!external && 'shared server' },
  async () => {
    for (const role of targets) {
      assert.equal(await attempt(urlFor(role, 'postgres')), '42501', role.name);
      assert.equal(await attempt(urlFor(role, 'template1')), '42501', role.name);
    }
  },
);

test(
  'a wrong password is refused (scram-sha-256 over TCP)',
  { skip: !!external && "auth method is the server's choice" },
  async () => {
    const t = targets[0]!;
    assert.equal(await attempt(withPassword(serviceDatabaseUrl(adminUrl, t), 'wrong')), '28P01');
  },
);

test('provisioning again is harmless and resets a changed password to the stored one', async () => {
  const t = targets[0]!;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`ALTER ROLE ${admin.escapeIdentifier(t.name)} PASSWORD ${admin.escapeLiteral(randomToken())}`);
  await admin.end();
  await provisionDatabases(adminUrl, targets, { lockDownMaintenanceDatabases: !external });
  assert.equal(await attempt(withPassword(serviceDatabaseUrl(adminUrl, t), t.password), 'SELECT count(*) FROM probe'), 'ok');
  const other = targets[1]!;
  assert.equal(await attempt(urlFor(t, other.name)), '42501');
});
