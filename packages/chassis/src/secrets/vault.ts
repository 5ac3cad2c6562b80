// A service's secrets from HashiCorp Vault's KV version 2 engine: one read of
// GET <addr>/v1/<mount>/data/<path> with the X-Vault-Token header, whose
// answer carries the key/value pairs in data.data. The token is read from a file.

import { SecretError, type SecretSource } from './secret-error.ts';

export interface VaultOptions {
  /** VAULT_ADDR, e.g. https://vault.internal:8200 */
  address: string;
  /** Mount path of the KV v2 engine (`secret` by default in Vault). */
  mount: string;
  /** The secret's path under the mount; its keys are the secret names. */
  path: string;
  token(): Promise<string>;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** The whole KV entry is read once and kept: every secret of a service is one Vault read. */
export function vaultKv2Source(options: VaultOptions): SecretSource {
  const base = options.address.replace(/\/+$/, '');
  const apiPath = `/v1/${segments(options.mount)}/data/${segments(options.path)}`;
  const where = `Vault ${base}${apiPath}`;
  let entry: Promise<Record<string, unknown>> | undefined;
  const load = async (name: string): Promise<Record<string, unknown>> => {
    const token = await options.token();
    let res: Response;
    try {
      res = await (options.fetch ?? fetch)(base + apiPath, {
        headers: { 'x-vault-token': token, accept: 'application/json' },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (err) {
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : causeOf(err);
      throw new SecretError(name, `secret ${name}: ${where} unreachable (${why})`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok)
      throw new SecretError(name, `secret ${name}: ${where} answered ${res.status}${vaultErrors(text)}${hint(res.status)}`);
    const data = parseEntry(text);
    if (!data) throw new SecretError(name, `secret ${name}: ${where} did not answer a KV v2 entry (no data.data object)`);
    return data;
  };
  return {
    describe: (name) => `${where} (key ${name})`,
    async get(name) {
      // A failed read is not kept: a later start (or a retry) asks again.
      entry ??= load(name).catch((err: unknown) => {
        entry = undefined;
        throw err;
      });
      const value = (await entry)[name];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== 'string' || value === '')
        throw new SecretError(
          name,
          `secret ${name}: ${where} holds it as ${value === '' ? 'an empty string' : typeof value}, not a string`,
        );
      return value;
    },
  };
}

/** Each path segment escaped on its own, so `souk/orders` stays two segments. */
function segments(p: string): string {
  return p
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
}

function parseEntry(text: string): Record<string, unknown> | undefined {
  try {
    const body = JSON.parse(text) as { data?: { data?: unknown } };
    const data = body.data?.data;
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Vault's own error list (`{"errors": ["permission denied"]}`); it never holds the token. */
function vaultErrors(text: string): string {
  try {
    const errors = (JSON.parse(text) as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) return `: ${errors.map(String).join('; ').slice(0, 300)}`;
  } catch {
    // not JSON
  }
  return '';
}

function hint(status: number): string {
  if (status === 403)
    return ' (the token of VAULT_TOKEN_FILE is invalid, expired, or its policy does not allow reading this path)';
  if (status === 404) return ' (no secret at this path: check VAULT_KV_MOUNT and VAULT_KV_PATH)';
  return '';
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
