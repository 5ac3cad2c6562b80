// Identity's own environment variables (the chassis validates them with the
// common ones) and its secrets, read once at start: from SECRETS_DIR or Vault
// through the chassis, or from the files the older *_FILE variables name.

import type { Secrets } from '@souk/chassis';
import { Type, type Static } from 'typebox';
import { parseKeyEncryptionKey } from './keys/key-encryption.ts';
import { parseClientsFile, type ClientsFile } from './oauth/clients.ts';
import { isValidEmail, normaliseEmail } from './users/email.ts';

export const DEFAULT_KEY_ROTATION_HOURS = 24;
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const DEFAULT_REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
/** Exchanged (internal) tokens live 5 minutes: the gateway trades the user's token again when one is due. */
export const DEFAULT_EXCHANGED_TOKEN_TTL_SECONDS = 5 * 60;
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
  IDENTITY_KEY_ENCRYPTION_KEY_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'file holding the 32-byte key that encrypts private signing keys, base64; otherwise the secret identity-key-encryption-key',
    }),
  ),
  IDENTITY_KEY_ROTATION_HOURS: Type.Number({ default: DEFAULT_KEY_ROTATION_HOURS, exclusiveMinimum: 0 }),
  IDENTITY_ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ default: DEFAULT_ACCESS_TOKEN_TTL_SECONDS, minimum: 30, maximum: 86_400 }),
  IDENTITY_REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ default: DEFAULT_REFRESH_TOKEN_TTL_SECONDS, minimum: 60 }),
  IDENTITY_EXCHANGED_TOKEN_TTL_SECONDS: Type.Integer({
    default: DEFAULT_EXCHANGED_TOKEN_TTL_SECONDS,
    minimum: 30,
    maximum: 3600,
    description: 'lifetime of an internal token from a token exchange (never beyond the token it replaces)',
  }),
  IDENTITY_ADMIN_EMAIL: Type.Optional(Type.String({ minLength: 3, description: 'admin account created at start when missing' })),
  IDENTITY_ADMIN_PASSWORD_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description: "file holding the admin account's password; otherwise the secret identity-admin-password",
    }),
  ),
  IDENTITY_CLIENTS_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'JSON file: [{ clientId, clientSecret, scopes }] of confidential OAuth clients; otherwise the secret identity-clients, when present',
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

/** The names of identity's secrets (files in SECRETS_DIR, keys in Vault). */
export const IDENTITY_SECRETS = {
  keyEncryptionKey: 'identity-key-encryption-key',
  adminPassword: 'identity-admin-password',
  clients: 'identity-clients',
} as const;

/** Reads identity's secrets; every error names the secret or its variable, never a value. */
export async function readSecrets(config: IdentityConfig, secrets: Secrets): Promise<IdentitySecrets> {
  const kek = parseKeyEncryptionKey(
    await secrets.read(IDENTITY_SECRETS.keyEncryptionKey, {
      variable: 'IDENTITY_KEY_ENCRYPTION_KEY_FILE',
      path: config.IDENTITY_KEY_ENCRYPTION_KEY_FILE,
    }),
    'IDENTITY_KEY_ENCRYPTION_KEY_FILE',
  );
  const result: IdentitySecrets = { kek };

  const { IDENTITY_ADMIN_EMAIL: adminEmail, IDENTITY_ADMIN_PASSWORD_FILE: adminFile } = config;
  if (adminEmail === undefined && adminFile !== undefined) {
    throw new Error('IDENTITY_ADMIN_PASSWORD_FILE is set without IDENTITY_ADMIN_EMAIL: set both or neither');
  }
  if (adminEmail !== undefined) {
    const email = normaliseEmail(adminEmail);
    if (!isValidEmail(email)) throw new Error(`IDENTITY_ADMIN_EMAIL: ${JSON.stringify(adminEmail)} is not a valid email address`);
    // Only the line break an editor adds is dropped (by the chassis); other whitespace belongs to the password.
    const password = await secrets.read(IDENTITY_SECRETS.adminPassword, {
      variable: 'IDENTITY_ADMIN_PASSWORD_FILE',
      path: adminFile,
    });
    result.admin = { email, password };
  }

  const clients = await secrets.optional(IDENTITY_SECRETS.clients, {
    variable: 'IDENTITY_CLIENTS_FILE',
    path: config.IDENTITY_CLIENTS_FILE,
  });
  if (clients !== undefined) result.clients = parseClientsFile(clients, 'IDENTITY_CLIENTS_FILE');
  return result;
}
