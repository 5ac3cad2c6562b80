// Identity's own environment variables (the chassis validates them with the
// common ones) and the secret files they point to, read once at start.

import { readFile } from 'node:fs/promises';
import { Type, type Static } from 'typebox';
import { parseKeyEncryptionKey } from './keys/key-encryption.ts';
import { parseClientsFile, type ClientsFile } from './oauth/clients.ts';
import { isValidEmail, normaliseEmail } from './users/email.ts';

export const DEFAULT_KEY_ROTATION_HOURS = 24;
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const DEFAULT_REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
export const DEFAULT_LOGIN_FREE_FAILURES = 3;
export const DEFAULT_LOGIN_IP_FREE_FAILURES = 10;
export const DEFAULT_LOGIN_MAX_DELAY_SECONDS = 60;
export const DEFAULT_LOGIN_WINDOW_SECONDS = 15 * 60;
export const DEFAULT_TOKEN_PER_IP_BURST = 60;
export const DEFAULT_TOKEN_PER_IP_PER_MINUTE = 60;
export const DEFAULT_TOKEN_PER_CLIENT_BURST = 30;
export const DEFAULT_TOKEN_PER_CLIENT_PER_MINUTE = 60;
export const DEFAULT_SIGNUP_PER_IP_BURST = 40;
export const DEFAULT_SIGNUP_PER_IP_PER_MINUTE = 10;
/** Hashes at once: scrypt runs on libuv's pool (4 threads); two keep a core free for everything else on 2 cores. */
export const DEFAULT_HASH_CONCURRENCY = 2;
/** Waiting places: 16 waiting behind 2 running at ~0.1 s each is under 1 s. */
export const DEFAULT_HASH_QUEUE = 16;
export const DEFAULT_HASH_PER_IP = 6;
export const DEFAULT_SCRYPT_LOG_N = 15;

export const IdentityConfig = Type.Object({
  IDENTITY_KEY_ENCRYPTION_KEY_FILE: Type.String({
    minLength: 1,
    description: 'file holding the 32-byte key that encrypts private signing keys, base64',
  }),
  IDENTITY_KEY_ROTATION_HOURS: Type.Number({ default: DEFAULT_KEY_ROTATION_HOURS, exclusiveMinimum: 0 }),
  IDENTITY_ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ default: DEFAULT_ACCESS_TOKEN_TTL_SECONDS, minimum: 30, maximum: 86_400 }),
  IDENTITY_REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ default: DEFAULT_REFRESH_TOKEN_TTL_SECONDS, minimum: 60 }),
  IDENTITY_ADMIN_EMAIL: Type.Optional(Type.String({ minLength: 3, description: 'admin account created at start when missing' })),
  IDENTITY_ADMIN_PASSWORD_FILE: Type.Optional(
    Type.String({ minLength: 1, description: "file holding the admin account's password" }),
  ),
  IDENTITY_CLIENTS_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'JSON file: [{ clientId, clientSecret, scopes }] of confidential OAuth clients',
    }),
  ),
  IDENTITY_LOGIN_FREE_FAILURES: Type.Integer({
    default: DEFAULT_LOGIN_FREE_FAILURES,
    minimum: 0,
    maximum: 1000,
    description: 'failed sign-ins per account before each further one delays the next attempt',
  }),
  IDENTITY_LOGIN_IP_FREE_FAILURES: Type.Integer({
    default: DEFAULT_LOGIN_IP_FREE_FAILURES,
    minimum: 0,
    maximum: 100_000,
    description: 'failed sign-ins per client IP, across accounts, before delays start',
  }),
  IDENTITY_LOGIN_MAX_DELAY_SECONDS: Type.Integer({ default: DEFAULT_LOGIN_MAX_DELAY_SECONDS, minimum: 1, maximum: 3600 }),
  IDENTITY_LOGIN_WINDOW_SECONDS: Type.Integer({ default: DEFAULT_LOGIN_WINDOW_SECONDS, minimum: 1 }),
  IDENTITY_TOKEN_PER_IP_BURST: Type.Integer({ default: DEFAULT_TOKEN_PER_IP_BURST, minimum: 1 }),
  IDENTITY_TOKEN_PER_IP_PER_MINUTE: Type.Number({ default: DEFAULT_TOKEN_PER_IP_PER_MINUTE, exclusiveMinimum: 0 }),
  IDENTITY_TOKEN_PER_CLIENT_BURST: Type.Integer({ default: DEFAULT_TOKEN_PER_CLIENT_BURST, minimum: 1 }),
  IDENTITY_TOKEN_PER_CLIENT_PER_MINUTE: Type.Number({ default: DEFAULT_TOKEN_PER_CLIENT_PER_MINUTE, exclusiveMinimum: 0 }),
  IDENTITY_SIGNUP_PER_IP_BURST: Type.Integer({ default: DEFAULT_SIGNUP_PER_IP_BURST, minimum: 1 }),
  IDENTITY_SIGNUP_PER_IP_PER_MINUTE: Type.Number({ default: DEFAULT_SIGNUP_PER_IP_PER_MINUTE, exclusiveMinimum: 0 }),
  IDENTITY_HASH_CONCURRENCY: Type.Integer({ default: DEFAULT_HASH_CONCURRENCY, minimum: 1, maximum: 64 }),
  IDENTITY_HASH_QUEUE: Type.Integer({ default: DEFAULT_HASH_QUEUE, minimum: 0, maximum: 10_000 }),
  IDENTITY_HASH_PER_IP: Type.Integer({ default: DEFAULT_HASH_PER_IP, minimum: 1, maximum: 10_000 }),
  IDENTITY_SCRYPT_LOG_N: Type.Integer({
    default: DEFAULT_SCRYPT_LOG_N,
    minimum: 14,
    maximum: 20,
    description: 'log2 of scrypt N for new password hashes',
  }),
});
export type IdentityConfig = Static<typeof IdentityConfig>;

export interface IdentitySecrets {
  kek: Buffer;
  admin?: { email: string; password: string };
  clients?: ClientsFile;
}

async function readSecretFile(path: string, variable: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      cause: err,
    });
  }
}

/** Reads the files the configuration names; every error names its variable. */
export async function readSecrets(config: IdentityConfig): Promise<IdentitySecrets> {
  const kek = parseKeyEncryptionKey(
    await readSecretFile(config.IDENTITY_KEY_ENCRYPTION_KEY_FILE, 'IDENTITY_KEY_ENCRYPTION_KEY_FILE'),
    'IDENTITY_KEY_ENCRYPTION_KEY_FILE',
  );
  const secrets: IdentitySecrets = { kek };

  const { IDENTITY_ADMIN_EMAIL: adminEmail, IDENTITY_ADMIN_PASSWORD_FILE: adminFile } = config;
  if ((adminEmail === undefined) !== (adminFile === undefined)) {
    throw new Error('IDENTITY_ADMIN_EMAIL and IDENTITY_ADMIN_PASSWORD_FILE: set both or neither');
  }
  if (adminEmail !== undefined && adminFile !== undefined) {
    const email = normaliseEmail(adminEmail);
    if (!isValidEmail(email)) throw new Error(`IDENTITY_ADMIN_EMAIL: ${JSON.stringify(adminEmail)} is not a valid email address`);
    // Only the line break an editor adds is dropped; other whitespace belongs to the password.
    const password = (await readSecretFile(adminFile, 'IDENTITY_ADMIN_PASSWORD_FILE')).replace(/\r?\n$/, '');
    secrets.admin = { email, password };
  }

  if (config.IDENTITY_CLIENTS_FILE !== undefined) {
    secrets.clients = parseClientsFile(
      await readSecretFile(config.IDENTITY_CLIENTS_FILE, 'IDENTITY_CLIENTS_FILE'),
      'IDENTITY_CLIENTS_FILE',
    );
  }
  return secrets;
}
