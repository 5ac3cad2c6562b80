// Where a service's secrets come from: one file per secret in SECRETS_DIR (the Kubernetes
// secret-volume layout), a HashiCorp Vault KV v2 path when VAULT_ADDR is set, and the older
// `*_FILE` variables, which still win where a service has them. Never from the environment.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from 'typebox';
import { SecretError, type SecretSource } from './secret-error.ts';
import { vaultKv2Source, type VaultOptions } from './vault.ts';

export { SecretError, type SecretSource } from './secret-error.ts';

export const DEFAULT_VAULT_KV_MOUNT = 'secret';
export const DEFAULT_VAULT_TIMEOUT_MS = 5_000;

/** The variables that say where secrets are; part of every service's configuration. */
export const SecretsConfig = Type.Object({
  SECRETS_DIR: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'Directory with one file per secret, named after it (a Kubernetes secret volume: /run/secrets/<service>).',
    }),
  ),
  VAULT_ADDR: Type.Optional(
    Type.String({ pattern: '^https?://', description: "HashiCorp Vault's address: secrets are read from its KV v2 engine." }),
  ),
  VAULT_TOKEN_FILE: Type.Optional(Type.String({ minLength: 1, description: 'File holding the Vault token (one line).' })),
  VAULT_KV_MOUNT: Type.String({ default: DEFAULT_VAULT_KV_MOUNT, minLength: 1, description: 'Mount path of the KV v2 engine.' }),
  VAULT_KV_PATH: Type.Optional(
    Type.String({ minLength: 1, description: "Path of the service's secret under the mount; souk/<service> when unset." }),
  ),
});
export type SecretsConfig = Static<typeof SecretsConfig>;

/** A `*_FILE` variable a service kept from before SECRETS_DIR: when set, its file holds the secret. */
export interface FileVariable {
  variable: string;
  path: string | undefined;
}

export interface Secrets {
  /** The secret's value; rejects with a SecretError naming the secret (never its value) when no source has it. */
  read(name: string, fileVariable?: FileVariable): Promise<string>;
  /** The value, or undefined when no source has it (a source that fails still rejects). */
  optional(name: string, fileVariable?: FileVariable): Promise<string | undefined>;
}

const SECRET_NAME = /^[a-z0-9][a-z0-9._-]*$/;

export interface OpenSecretsOptions {
  /** The service's name: the default Vault path is souk/<service>. */
  service: string;
  /** For tests of the Vault client. */
  fetch?: typeof fetch;
}

/** The secrets of one service from its configuration; Vault is asked once, on the first read. */
export function openSecrets(config: SecretsConfig, options: OpenSecretsOptions): Secrets {
  const source = config.VAULT_ADDR
    ? vaultKv2Source(vaultOptions(config, options))
    : config.SECRETS_DIR
      ? directorySource(config.SECRETS_DIR)
      : undefined;
  const optional = async (name: string, fileVariable?: FileVariable) => {
    if (!SECRET_NAME.test(name)) throw new SecretError(name, `secret ${JSON.stringify(name)}: not a valid secret name`);
    if (fileVariable?.path !== undefined) return readSecretFile(name, fileVariable.path, fileVariable.variable);
    return source?.get(name);
  };
  return {
    optional,
    async read(name, fileVariable) {
      const value = await optional(name, fileVariable);
      if (value !== undefined) return value;
      const where = source
        ? `not found in ${source.describe(name)}`
        : 'no secret source is configured (set SECRETS_DIR to a directory with one file per secret, or VAULT_ADDR)';
      const alternative = fileVariable ? `, and ${fileVariable.variable} is not set` : '';
      throw new SecretError(name, `secret ${name}: ${where}${alternative}`);
    },
  };
}

function vaultOptions(config: SecretsConfig, options: OpenSecretsOptions): VaultOptions {
  if (!config.VAULT_TOKEN_FILE) throw new Error('VAULT_ADDR is set but VAULT_TOKEN_FILE is not: name the file holding the token');
  const tokenFile = config.VAULT_TOKEN_FILE;
  return {
    address: config.VAULT_ADDR ?? '',
    mount: config.VAULT_KV_MOUNT,
    path: config.VAULT_KV_PATH ?? `souk/${options.service}`,
    token: () => readSecretFile('vault-token', tokenFile, 'VAULT_TOKEN_FILE'),
    timeoutMs: DEFAULT_VAULT_TIMEOUT_MS,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
}

/** `<dir>/<name>`, as a Kubernetes secret volume lays keys out; a missing file is a missing secret. */
export function directorySource(dir: string): SecretSource {
  return {
    describe: (name) => path.join(dir, name),
    async get(name) {
      try {
        return checked(name, await readFile(path.join(dir, name), 'utf8'), path.join(dir, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        if (err instanceof SecretError) throw err;
        throw new SecretError(name, `secret ${name}: cannot read ${path.join(dir, name)} (${errorCode(err)})`, { cause: err });
      }
    },
  };
}

async function readSecretFile(name: string, file: string, variable: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SecretError(name, `${variable}: cannot read ${file} (${errorCode(err)})`, { cause: err });
  }
  return checked(name, text, `${variable} (${file})`);
}

/** Only the line break an editor or `kubectl create secret --from-file` leaves is dropped: other whitespace is the secret's. */
function checked(name: string, text: string, where: string): string {
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new SecretError(name, `secret ${name}: ${where} is empty`);
  return value;
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
}
