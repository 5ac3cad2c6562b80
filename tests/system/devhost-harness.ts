// Starts the real devhost (`npm start`'s program) in a temporary data folder on
// free ports and reads what it publishes, for system tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { basicCredentials, DEFAULT_AUDIENCE, IDENTITY_TOKEN_PATH, tokenExchangeRequest } from '@souk/chassis';
import { Agent, fetch as undiciFetch } from 'undici';
import { devhostClientTls } from '../../tools/devhost/src/certificates.ts';
import { DEFAULT_TEST_SERVER, freePort, waitFor } from '@souk/chassis/testing';
import { readClientSecret } from '../../tools/devhost/src/secrets.ts';
import { OPERATOR_CLIENT_ID } from '../../tools/devhost/src/services.ts';
import { embeddedPostgresBlocked } from '../../tools/devhost/src/postgres.ts';

const root = new URL('../..', import.meta.url).pathname;

export interface DevhostInstance {
  service: string;
  instanceId: string;
  url: string;
  /** Its admin listener: /metrics, /_admin/*, detailed /health/ready. */
  adminUrl: string;
  pid: number;
  restarts: number;
  state: string;
}

export interface Devhost {
  gateway: string;
  /** The gateway's HTTPS address (with mTLS on; the dev CA in <dataDir>/pki/ca.pem signs its certificate). */
  gatewayTls: string | undefined;
  dataDir: string;
  /** Seconds from spawn to endpoints.json. */
  readySeconds: number;
  process: ChildProcess;
  instances(): Promise<DevhostInstance[]>;
  secret(name: string): Promise<string>;
  /**
   * A user's token exchanged (RFC 8693) for an internal one, as the operator tools do with their client
   * (`souk-operator`): what an instance's own routes (its /_admin endpoints) accept when called directly.
   */
  internalToken(userToken: string): Promise<string>;
  /**
   * fetch for calls straight to an instance: with the devhost's client certificate (read from the data
   * folder at each call, so a rotated one is used) when the URL is https:.
   */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** What the devhost printed so far (stdout and stderr). */
  output(): Promise<string>;
  stop(): Promise<void>;
}

/** `env` is added to the devhost's environment, which its services inherit (e.g. ORDERS_TEST_HOOKS). */
export async function startDevhost(args: string[] = [], env: Record<string, string> = {}): Promise<Devhost> {
  const dataDir = await mkdtemp(join(tmpdir(), 'souk-system-'));
  await chmod(dataDir, 0o711); // as the devhost does with its data root: the postgres user passes through
  // As root with the repository where the postgres OS user cannot reach it, embedded PostgreSQL cannot
  // run; the devhost then uses the local server through DATABASE_URL, as it would for a user.
  const blocked = process.env.DATABASE_URL ? undefined : await embeddedPostgresBlocked(join(dataDir, 'postgres'));
  const databaseEnv = blocked ? { DATABASE_URL: DEFAULT_TEST_SERVER } : {};
  // On a shared server the run gets database and role names of its own, dropped at the end.
  const dbPrefix = blocked ? `souk_sys${randomBytes(3).toString('hex')}_` : undefined;
  if (blocked)
    process.stdout.write(`# embedded PostgreSQL cannot run here (${blocked}); the devhost uses ${DEFAULT_TEST_SERVER}\n`);
  const [port, registryPort, tlsPort] = [await freePort(), await freePort(), await freePort()];
  const log = createWriteStream(join(dataDir, 'devhost-output.log'));
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'tools/devhost/src/main.ts',
      '--data-dir',
      dataDir,
      '--port',
      String(port),
      '--registry-port',
      String(registryPort),
      '--tls-port',
      String(tlsPort),
      ...(dbPrefix ? ['--db-prefix', dbPrefix] : []),
      ...args,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...databaseEnv, ...env, NO_COLOR: '1' } },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = false;
  child.once('exit', () => (exited = true));

  const endpoints = await waitFor(
    async () => {
      if (exited) throw new Error(`devhost exited early; see ${dataDir}/devhost-output.log`);
      return JSON.parse(await readFile(join(dataDir, 'endpoints.json'), 'utf8')) as { gateway: string; gatewayTls?: string };
    },
    { timeoutMs: 120_000, intervalMs: 200, what: 'the devhost to publish endpoints.json' },
  );
  const readySeconds = (Date.now() - started) / 1000;
  const secret = async (name: string) => (await readFile(join(dataDir, 'secrets', name), 'utf8')).trim();

  return {
    gateway: endpoints.gateway,
    gatewayTls: endpoints.gatewayTls,
    dataDir,
    readySeconds,
    process: child,
    async instances() {
      return (JSON.parse(await readFile(join(dataDir, 'devhost.json'), 'utf8')) as { instances: DevhostInstance[] }).instances;
    },
    output: () => readFile(join(dataDir, 'devhost-output.log'), 'utf8'),
    secret,
    async internalToken(userToken) {
      const operatorSecret = await readClientSecret(join(dataDir, 'secrets'), OPERATOR_CLIENT_ID);
      const res = await fetch(`${endpoints.gateway}${IDENTITY_TOKEN_PATH}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicCredentials(OPERATOR_CLIENT_ID, operatorSecret),
        },
        body: new URLSearchParams(tokenExchangeRequest(userToken, DEFAULT_AUDIENCE)),
      });
      const body = (await res.json()) as { access_token?: string };
      if (res.status !== 200 || !body.access_token)
        throw new Error(`token exchange failed: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async fetch(url, init) {
      const tls = url.startsWith('https:') ? devhostClientTls(dataDir) : undefined;
      if (!tls) return fetch(url, init);
      // The instance's name is not checked here: a test reaching an instance by URL checks what it answers.
      const dispatcher = new Agent({ connect: { ...tls, checkServerIdentity: () => undefined } });
      try {
        // undici's own fetch takes the dispatcher; its types differ from the global fetch's only in name.
        const res = await undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher });
        const body = await res.arrayBuffer();
        const empty = [204, 205, 304].includes(res.status);
        return new Response(empty ? null : body, { status: res.status, headers: [...res.headers] });
      } finally {
        await dispatcher.close();
      }
    },
    async stop() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      log.end();
      if (dbPrefix) await dropPrefixed(DEFAULT_TEST_SERVER, dbPrefix);
      if (!process.env.SOUK_KEEP_TEST_DATA) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Drops the databases and roles a run created on a shared server. */
async function dropPrefixed(adminUrl: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const like = `${prefix.replaceAll('_', '\\_')}%`;
    const dbs = await client.query<{ datname: string }>('select datname from pg_database where datname like $1', [like]);
    for (const { datname } of dbs.rows) await client.query(`drop database if exists "${datname}" with (force)`);
    const roles = await client.query<{ rolname: string }>('select rolname from pg_roles where rolname like $1', [like]);
    for (const { rolname } of roles.rows) await client.query(`drop role if exists "${rolname}"`);
  } finally {
    await client.end();
  }
}
