// OAuth clients: the built-in public clients (the storefront, the console), and confidential
// service clients read from IDENTITY_CLIENTS_FILE and kept in the database
// with SHA-256 hashes of their secrets (client-secret.ts says why not scrypt).

import { TOKEN_EXCHANGE_GRANT } from '@souk/chassis';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import type { IdentityDatabase } from '../db.ts';
import { clientSecretMatches, hashClientSecret, isCurrentClientSecretHash } from './client-secret.ts';
import { TOKEN_EXCHANGE_PERMISSION, USER_SCOPES } from './scopes.ts';

export type GrantType = 'password' | 'refresh_token' | 'client_credentials' | typeof TOKEN_EXCHANGE_GRANT;

export interface Client {
  clientId: string;
  /** Public clients have no secret and authenticate with `none`. */
  confidential: boolean;
  grantTypes: readonly GrantType[];
  scopes: readonly string[];
}

/** The first-party storefront: public (it runs in browsers), signs users in with their password. */
export const STOREFRONT_CLIENT: Client = {
  clientId: 'storefront',
  confidential: false,
  grantTypes: ['password', 'refresh_token'],
  scopes: USER_SCOPES,
};

/** The operations console (web/console): public too, signs admins in with their password; its API is admins' only. */
export const CONSOLE_CLIENT: Client = {
  clientId: 'console',
  confidential: false,
  grantTypes: ['password', 'refresh_token'],
  scopes: USER_SCOPES,
};

const PUBLIC_CLIENTS = new Map([STOREFRONT_CLIENT, CONSOLE_CLIENT].map((c) => [c.clientId, c]));

export const ClientsFile = Type.Array(
  Type.Object({
    clientId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$' }),
    // Secrets are machine-made; a short one is a configuration mistake.
    clientSecret: Type.String({ minLength: 16, maxLength: 512 }),
    scopes: Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), { maxItems: 100 }),
  }),
);
export type ClientsFile = Static<typeof ClientsFile>;

/** Parses the clients file; `source` names it in the error. */
export function parseClientsFile(content: string, source: string): ClientsFile {
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const problems = Value.Errors(ClientsFile, data).map((e) => `${e.instancePath || '/'} ${e.message}`);
  if (problems.length) throw new Error(`${source}: ${problems.slice(0, 5).join('; ')}`);
  const clients = data as ClientsFile;
  const ids = clients.map((c) => c.clientId);
  const clash = ids.find((id, i) => ids.indexOf(id) !== i || PUBLIC_CLIENTS.has(id));
  if (clash) throw new Error(`${source}: client id ${clash} is duplicated or reserved`);
  return clients;
}

const DUMMY_HASH = hashClientSecret('not a real client secret');

export function createClientStore(db: IdentityDatabase) {
  return {
    /**
     * Makes the table match the file: adds and updates its clients (re-hashing
     * secrets that changed or are still in the old scrypt format) and deletes
     * clients no longer listed.
     */
    async sync(clients: ClientsFile, now: Date): Promise<{ added: number; updated: number; removed: number }> {
      const existing = new Map(
        (await db.selectFrom('oauth_clients').select(['client_id', 'secret_hash', 'scopes']).execute()).map((r) => [
          r.client_id,
          r,
        ]),
      );
      let added = 0;
      let updated = 0;
      for (const c of clients) {
        const row = existing.get(c.clientId);
        const current = row !== undefined && isCurrentClientSecretHash(row.secret_hash);
        const sameSecret = current && (await clientSecretMatches(c.clientSecret, row.secret_hash));
        const sameScopes = row !== undefined && row.scopes.join(' ') === c.scopes.join(' ');
        if (sameSecret && sameScopes) continue;
        const secretHash = sameSecret ? row.secret_hash : hashClientSecret(c.clientSecret);
        await db
          .insertInto('oauth_clients')
          .values({ client_id: c.clientId, secret_hash: secretHash, scopes: c.scopes, created_at: now, updated_at: now })
          .onConflict((oc) => oc.column('client_id').doUpdateSet({ secret_hash: secretHash, scopes: c.scopes, updated_at: now }))
          .execute();
        if (row) updated++;
        else added++;
      }
      const listed = new Set(clients.map((c) => c.clientId));
      const gone = [...existing.keys()].filter((id) => !listed.has(id));
      if (gone.length) await db.deleteFrom('oauth_clients').where('client_id', 'in', gone).execute();
      return { added, updated, removed: gone.length };
    },

    /** The public client with this id, if any (no secret involved). */
    publicClient(clientId: string): Client | undefined {
      return PUBLIC_CLIENTS.get(clientId);
    },

    /** The confidential client when id and secret match; undefined otherwise. */
    async authenticate(clientId: string, secret: string): Promise<Client | undefined> {
      const row = await db
        .selectFrom('oauth_clients')
        .select(['secret_hash', 'scopes'])
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      // An unknown client id is checked against a dummy, so it costs what a known one costs.
      const matches = await clientSecretMatches(secret, row?.secret_hash ?? DUMMY_HASH);
      if (!row || !matches) return undefined;
      const exchanges = row.scopes.includes(TOKEN_EXCHANGE_PERMISSION);
      return {
        clientId,
        confidential: true,
        grantTypes: exchanges ? ['client_credentials', TOKEN_EXCHANGE_GRANT] : ['client_credentials'],
        // The permission is not a scope its own tokens carry.
        scopes: exchanges ? row.scopes.filter((s) => s !== TOKEN_EXCHANGE_PERMISSION) : row.scopes,
      };
    },
  };
}

export type ClientStore = ReturnType<typeof createClientStore>;
