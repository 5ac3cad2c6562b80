// Each instance's own secrets, in a directory of its own (<data>/run/<instance>, one file per secret,
// the layout of a Kubernetes secret volume), passed as SECRETS_DIR. The devhost writes it just before
// each spawn and removes it once the instance is ready: a service reads every secret during its start,
// so afterwards no file of it is left for another process of the same OS user to read.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DevSecrets } from './secrets.ts';
import { serviceClientId, type ServiceSpec } from './services.ts';

/** The names the chassis reads them under (packages/chassis/src/start). */
export const CLIENT_SECRET_NAME = 'service-client-secret';
export const DATABASE_PASSWORD_NAME = 'database-password';

/** Only what this service uses: its client secret, its database role's password, the extra secrets of its row. */
export function secretsOfService(service: ServiceSpec, dev: DevSecrets): Map<string, string> {
  const own = new Map<string, string>();
  if (service.usesRegistry) {
    const client = dev.clients.find((c) => c.clientId === serviceClientId(service.name));
    if (!client) throw new Error(`no OAuth client ${serviceClientId(service.name)} among the dev secrets`);
    own.set(CLIENT_SECRET_NAME, client.clientSecret);
  }
  if (service.database) {
    const password = dev.databasePasswords.get(service.name);
    if (!password) throw new Error(`no database password for ${service.name} among the dev secrets`);
    own.set(DATABASE_PASSWORD_NAME, password);
  }
  for (const name of service.secrets ?? []) {
    const value = dev.named.get(name);
    if (value === undefined) throw new Error(`${service.name} asks for the secret ${name}, which the devhost does not generate`);
    own.set(name, value);
  }
  return own;
}

export function instanceSecretsDir(root: string, instanceId: string): string {
  return path.join(root, instanceId);
}

/** Replaces the directory with exactly these secrets: 0700, files 0600. Synchronous: it runs right before a spawn. */
export function writeInstanceSecrets(dir: string, secrets: ReadonlyMap<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  mkdirSync(dir, { mode: 0o700 });
  for (const [name, value] of secrets) writeFileSync(path.join(dir, name), value + '\n', { mode: 0o600, flag: 'wx' });
}

export function removeInstanceSecrets(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
