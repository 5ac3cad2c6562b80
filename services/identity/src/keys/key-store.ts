// The rotating set of ES256 signing keys, shared by every instance through the
// database. Instances cache the list briefly; creating a key happens under a
// PostgreSQL advisory lock so that instances starting together make one key.

import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { sql } from 'kysely';
import type { IdentityDatabase } from '../db.ts';
import { SIGNING_ALG, type SigningKey } from '../tokens/access-token.ts';
import { decryptSecret, encryptSecret } from './key-encryption.ts';
import { currentKey, expiredKeys, needsRotation, publishedKeys, type KeyMeta, type PublicationPolicy } from './key-rotation.ts';

/** Any constant shared by every identity instance; it names the lock in pg_locks. */
const KEY_LOCK_ID = 5_001_001;

export interface StoredKey extends KeyMeta {
  publicJwk: JWK;
  sealed: string;
}

export interface KeyStoreOptions {
  db: IdentityDatabase;
  /** The key-encryption key (32 bytes). */
  kek: Buffer;
  now: () => number;
  rotationMs: number;
  publication: PublicationPolicy;
  /** How long the cached key list is trusted before it is read again. */
  cacheMs?: number;
  onRotate?: (kid: string, reason: 'due' | 'forced') => void;
}

export function createKeyStore(options: KeyStoreOptions) {
  const { db, kek, now } = options;
  const cacheMs = options.cacheMs ?? 10_000;
  let cache: { keys: StoredKey[]; loadedAt: number } | undefined;
  let loading: Promise<StoredKey[]> | undefined;
  let rotating: Promise<StoredKey> | undefined;
  const privateKeys = new Map<string, Promise<CryptoKey>>();

  async function readAll(exec: IdentityDatabase): Promise<StoredKey[]> {
    const rows = await exec
      .selectFrom('signing_keys')
      .select(['kid', 'public_jwk', 'private_jwk_sealed', 'created_at'])
      .execute();
    return rows.map((r) => ({
      kid: r.kid,
      createdAt: r.created_at.getTime(),
      publicJwk: r.public_jwk,
      sealed: r.private_jwk_sealed,
    }));
  }

  function reload(): Promise<StoredKey[]> {
    loading ??= readAll(db)
      .then((keys) => {
        cache = { keys, loadedAt: now() };
        return keys;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  }

  async function keys(fresh = false): Promise<StoredKey[]> {
    if (!fresh && cache && now() - cache.loadedAt < cacheMs) return cache.keys;
    return reload();
  }

  async function createKey(createdAt: number): Promise<StoredKey> {
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk = await exportJWK(privateKey);
    const sealed = encryptSecret(kek, kid, JSON.stringify(privateJwk));
    return { kid, createdAt, publicJwk: { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' }, sealed };
  }

  /** Makes a new key when one is due (or always when forced); returns the key that now signs. */
  function rotate(force: boolean): Promise<StoredKey> {
    const run = async () => {
      const created = await db.transaction().execute(async (trx) => {
        // Transaction-scoped: released at commit, even if this process dies.
        await sql`select pg_advisory_xact_lock(${KEY_LOCK_ID})`.execute(trx);
        const existing = await readAll(trx);
        const at = now();
        if (!force && !needsRotation(existing, at, options.rotationMs)) return undefined;
        // Strictly newer than every existing key, even if this host's clock lags.
        const row = await createKey(Math.max(at, ...existing.map((k) => k.createdAt + 1)));
        await trx
          .insertInto('signing_keys')
          .values({
            kid: row.kid,
            alg: SIGNING_ALG,
            public_jwk: JSON.stringify(row.publicJwk),
            private_jwk_sealed: row.sealed,
            created_at: new Date(row.createdAt),
          })
          .execute();
        // Keys no unexpired token can need are deleted, private half included.
        const stale = expiredKeys([...existing, row], at, options.publication).map((k) => k.kid);
        if (stale.length) await trx.deleteFrom('signing_keys').where('kid', 'in', stale).execute();
        return row;
      });
      if (created) options.onRotate?.(created.kid, force ? 'forced' : 'due');
      const all = await reload();
      return currentKey(all)!;
    };
    // Forced rotations always run; due ones share a single flight per instance.
    if (force) return run();
    rotating ??= run().finally(() => {
      rotating = undefined;
    });
    return rotating;
  }

  function privateKeyOf(key: StoredKey): Promise<CryptoKey> {
    let imported = privateKeys.get(key.kid);
    if (!imported) {
      imported = importJWK(JSON.parse(decryptSecret(kek, key.kid, key.sealed)) as JWK, SIGNING_ALG) as Promise<CryptoKey>;
      imported.catch(() => privateKeys.delete(key.kid));
      privateKeys.set(key.kid, imported);
    }
    return imported;
  }

  return {
    /** At start: make sure a current key exists and that this instance can decrypt it. */
    async init(): Promise<void> {
      const key = needsRotation(await keys(true), now(), options.rotationMs) ? await rotate(false) : currentKey(await keys())!;
      await privateKeyOf(key);
    },

    /** The key to sign with now, rotating first when the current one is too old. */
    async signingKey(): Promise<SigningKey> {
      const all = await keys();
      const key = needsRotation(all, now(), options.rotationMs) ? await rotate(false) : currentKey(all)!;
      return { kid: key.kid, privateKey: await privateKeyOf(key) };
    },

    /** Forces a new key (admin action); the previous one stays published until its tokens expire. */
    async rotateNow(): Promise<{ kid: string; createdAt: number }> {
      const key = await rotate(true);
      return { kid: key.kid, createdAt: key.createdAt };
    },

    /** The public keys that verify tokens; `fresh` skips the cache (a token named an unknown key). */
    async jwks(fresh = false): Promise<JSONWebKeySet> {
      const published = publishedKeys(await keys(fresh), now(), options.publication);
      return { keys: published.map((k) => k.publicJwk) };
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
