// One database and one login role per service, each role able to reach only its own database.
// Idempotent: run at every start; creates what is missing and resets passwords to the stored ones.
import pg from 'pg';

export interface DatabaseTarget {
  service: string;
  /** Database and role name (they are the same), e.g. souk_catalog. */
  name: string;
  password: string;
}

export interface ProvisionOptions {
  /** Also revoke PUBLIC's CONNECT on `postgres` and `template1`: right for our own cluster, not for a shared server. */
  lockDownMaintenanceDatabases: boolean;
}

/** Connections provisioning side by side. */
const PROVISION_CONNECTIONS = 6;

/** Runs `work` over `items`, at most `limit` at a time; rejects with the first failure once all have settled. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const failures: unknown[] = [];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      await work(item).catch((err: unknown) => void failures.push(err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

/** Serialises concurrent devhosts (or tests) provisioning the same server. */
const ADVISORY_LOCK_KEY = 0x50_4b_53; // arbitrary, fixed

export async function provisionDatabases(
  adminUrl: string,
  targets: readonly DatabaseTarget[],
  options: ProvisionOptions,
): Promise<void> {
  const admin = await connect(adminUrl);
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
    const version = Number((await admin.query<{ v: string }>('SHOW server_version_num')).rows[0]?.v);
    // Several at once, each over its own connection: a CREATE DATABASE mostly waits for its copy of the
    // template to reach the disk, and those waits overlap (measured: 12 databases in 0.7-1.7 s instead of
    // 0.8-11 s one after the other on a busy disk). The admin connection keeps holding the lock.
    await inParallel(targets, PROVISION_CONNECTIONS, async (target) => {
      const client = await connect(adminUrl);
      try {
        await ensureRole(client, target);
        await ensureDatabase(client, target);
      } finally {
        await client.end();
      }
      // Before PostgreSQL 15 every role could create objects in `public`; from 15 on the database owner owns it.
      if (version < 150000) await lockDownPublicSchema(adminUrl, target);
    });
    if (options.lockDownMaintenanceDatabases) {
      for (const db of ['postgres', 'template1']) {
        await admin.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${admin.escapeIdentifier(db)} FROM PUBLIC`);
      }
    }
  } finally {
    await admin.end();
  }
}

async function ensureRole(admin: pg.Client, target: DatabaseTarget): Promise<void> {
  const role = admin.escapeIdentifier(target.name);
  const exists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [target.name])).rowCount === 1;
  // Utility statements take no bind parameters; the password is quoted with escapeLiteral instead.
  const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${admin.escapeLiteral(target.password)}`;
  await admin.query(exists ? `ALTER ROLE ${role} WITH ${attributes}` : `CREATE ROLE ${role} WITH ${attributes}`);
}

async function ensureDatabase(admin: pg.Client, target: DatabaseTarget): Promise<void> {
  const db = admin.escapeIdentifier(target.name);
  const role = admin.escapeIdentifier(target.name);
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.name])).rowCount === 1;
  if (!exists) {
    await admin.query(`CREATE DATABASE ${db} OWNER ${role} ENCODING 'UTF8' TEMPLATE template0`);
  } else {
    await admin.query(`ALTER DATABASE ${db} OWNER TO ${role}`);
  }
  // New databases grant CONNECT and TEMPORARY to PUBLIC; take them back so only the owner gets in.
  await admin.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
}

async function lockDownPublicSchema(adminUrl: string, target: DatabaseTarget): Promise<void> {
  const client = await connect(withDatabase(adminUrl, target.name));
  try {
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    await client.query(`ALTER SCHEMA public OWNER TO ${client.escapeIdentifier(target.name)}`);
  } finally {
    await client.end();
  }
}

/**
 * The service's own URL: same server as the admin URL, its role and its database, and no password (the
 * service reads that from its secret database-password). Nothing of the admin's credentials is kept,
 * not even a password or user given as a query parameter.
 */
export function serviceDatabaseUrl(adminUrl: string, target: Pick<DatabaseTarget, 'name'>): string {
  const url = new URL(withDatabase(adminUrl, target.name));
  url.username = encodeURIComponent(target.name);
  url.password = '';
  for (const key of [...url.searchParams.keys()]) {
    if (/^(password|user|passfile|sslpassword|sslkey)$/i.test(key)) url.searchParams.delete(key);
  }
  return url.toString();
}

function withDatabase(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = '/' + encodeURIComponent(database);
  return url.toString();
}

/** Host and port of a connection URL, for messages (never the password). */
export function describeServer(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}`;
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {}); // a dropped idle connection must not crash the devhost
  await client.connect();
  return client;
}
