// Starts identity for integration tests on a throwaway PostgreSQL database,
// with a fresh key-encryption key, a fake clock and helpers for its API.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type RunningServiceOf } from '@souk/chassis';
import { createTestDatabase, freePort, type TestDatabase } from '@souk/chassis/testing';

import { identityService } from '../src/service.ts';

export interface FakeClock {
  now(): number;
  advance(ms: number): void;
}

export function fakeClock(start = Date.now()): FakeClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export interface Identity {
  url: string;
  issuer: string;
  clock: FakeClock;
  database: TestDatabase;
  service: RunningServiceOf<typeof identityService>;
  /** Starts one more instance on the same database (and key-encryption key). */
  startAnother(extraEnv?: Record<string, string>): Promise<RunningServiceOf<typeof identityService>>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  clients?: { clientId: string; clientSecret: string; scopes: string[] }[];
  admin?: { email: string; password: string };
  clock?: FakeClock;
}

/** Budgets no test file reaches; tests of the limits override them with `env`. */
export const GENEROUS_LIMITS: Record<string, string> = {
  IDENTITY_TOKEN_PER_IP_BURST: '100000',
  IDENTITY_TOKEN_PER_CLIENT_BURST: '100000',
  IDENTITY_SIGNUP_PER_IP_BURST: '100000',
  IDENTITY_LOGIN_IP_FREE_FAILURES: '100000',
  IDENTITY_HASH_QUEUE: '1000',
  IDENTITY_HASH_PER_IP: '1000',
};

export interface PreparedEnv {
  env: Record<string, string>;
  issuer: string;
  database: TestDatabase;
  cleanup(): Promise<void>;
}

/** A database, secret files and the environment an identity instance needs. */
export async function prepareEnv(options: HarnessOptions = {}): Promise<PreparedEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'souk-identity-'));
  const database = await createTestDatabase('identity');
  const kekFile = join(dir, 'kek');
  await writeFile(kekFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '3',
    IDENTITY_KEY_ENCRYPTION_KEY_FILE: kekFile,
    IDENTITY_SCRYPT_LOG_N: '14',
    LOG_LEVEL: 'error',
    // Every test request comes from 127.0.0.1 at the fake clock's time: budgets
    // per IP would run out within a file. The throttle tests set their own.
    ...GENEROUS_LIMITS,
  };
  // The edge's client is always there: identity's routes take internal tokens only, so a test that calls them
  // as a user first exchanges the user's token, as the gateway does.
  env.IDENTITY_CLIENTS_FILE = join(dir, 'clients.json');
  await writeFile(env.IDENTITY_CLIENTS_FILE, JSON.stringify([EDGE_CLIENT, ...(options.clients ?? [])]));
  if (options.admin) {
    env.IDENTITY_ADMIN_EMAIL = options.admin.email;
    env.IDENTITY_ADMIN_PASSWORD_FILE = join(dir, 'admin-password');
    await writeFile(env.IDENTITY_ADMIN_PASSWORD_FILE, `${options.admin.password}\n`);
  }
  // The issuer must be the URL the service answers on, so that OIDC clients
  // accept its discovery document: pick the port first.
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  Object.assign(env, { PORT: String(port), AUTH_ISSUER: issuer }, options.env);
  return {
    env,
    issuer,
    database,
    async cleanup() {
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function startIdentity(options: HarnessOptions = {}): Promise<Identity> {
  const { env, issuer, database, cleanup } = await prepareEnv(options);
  const clock = options.clock ?? fakeClock();
  const others: RunningServiceOf<typeof identityService>[] = [];
  let service: RunningServiceOf<typeof identityService>;
  try {
    service = await startService(identityService, { env, clock });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    url: service.url,
    issuer,
    clock,
    database,
    service,
    async startAnother(extraEnv = {}) {
      const other = await startService(identityService, { env: { ...env, PORT: '0', ...extraEnv }, clock });
      others.push(other);
      return other;
    },
    async stop() {
      for (const s of [service, ...others]) await s.stop();
      await cleanup();
    },
  };
}

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

async function toReply(res: Response): Promise<Reply> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body };
}

export interface RequestOptions {
  json?: unknown;
  form?: Record<string, string>;
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
  token?: string;
}

export async function request(base: string, method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.raw !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    body = options.raw;
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return toReply(await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
}

export const TOKEN = '/api/v1/identity/oauth/token';

/** A client allowed to exchange users' tokens (the gateway's role), in every test instance's clients file. */
export const EDGE_CLIENT = {
  clientId: 'test-edge',
  clientSecret: 'test-edge-secret-0123456789abcdef',
  scopes: ['identity:token-exchange'],
};

/** A token exchange (RFC 8693) by `client` (the edge's by default) for `subjectToken`. */
export async function exchange(
  base: string,
  subjectToken: string,
  extra: Record<string, string> = {},
  client: { clientId: string; clientSecret: string } = EDGE_CLIENT,
): Promise<Reply> {
  const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString(
    'base64',
  );
  return request(base, 'POST', TOKEN, {
    headers: { authorization: `Basic ${basic}` },
    form: {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      ...extra,
    },
  });
}

/** The internal token a user's token is exchanged for: what identity's own routes accept, as every service's do. */
export async function internalToken(base: string, userToken: string): Promise<string> {
  const res = await exchange(base, userToken);
  if (res.status !== 200) throw new Error(`token exchange failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}
export const SIGNUP = '/api/v1/identity/signup';

let counter = 0;
/** A unique email per call, so tests do not collide. */
export function uniqueEmail(label = 'user'): string {
  return `${label}.${process.pid}.${++counter}.${randomBytes(3).toString('hex')}@example.com`;
}

export const GOOD_PASSWORD = 'Correct-Horse-42';

export async function signup(base: string, email = uniqueEmail(), password = GOOD_PASSWORD, name?: string): Promise<Reply> {
  return request(base, 'POST', SIGNUP, { json: { email, password, ...(name ? { name } : {}) } });
}

/**
 * Signs up a new user and returns its record (`/me`): sign-up itself answers
 * 202 without one, the same for a new and a taken email.
 */
export async function signedUp(base: string, email = uniqueEmail(), password = GOOD_PASSWORD, name?: string): Promise<any> {
  const res = await signup(base, email, password, name);
  if (res.status !== 202) throw new Error(`sign-up of ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  const token = await passwordGrant(base, email, password);
  if (token.status !== 200) throw new Error(`sign-in of ${email}: ${token.status} ${JSON.stringify(token.body)}`);
  // Identity's routes take internal tokens: exchanged first, as the gateway does.
  return (await request(base, 'GET', '/api/v1/identity/me', { token: await internalToken(base, token.body.access_token) })).body;
}

export async function passwordGrant(
  base: string,
  username: string,
  password = GOOD_PASSWORD,
  extra: Record<string, string> = {},
): Promise<Reply> {
  return request(base, 'POST', TOKEN, {
    form: { grant_type: 'password', client_id: 'storefront', username, password, ...extra },
  });
}
