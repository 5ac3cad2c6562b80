// When to make a new signing key and which keys to publish, as pure decisions
// over the key list. A key is retired the moment a newer one exists; its
// retirement time is the newer key's creation time, so no extra state is kept.

export interface KeyMeta {
  kid: string;
  /** ms since the epoch */
  createdAt: number;
}

export interface PublicationPolicy {
  /** Lifetime of access tokens: a retired key must verify tokens for this long. */
  accessTokenTtlMs: number;
  /**
   * Extra time for instances that have not yet noticed a newer key (they
   * reload the key list periodically) and for clock skew between hosts.
   */
  graceMs: number;
}

export interface KeyWithRetirement<K extends KeyMeta> {
  key: K;
  /** When a newer key took over; undefined for the current key. */
  retiredAt: number | undefined;
}

/** Keys newest first, each with the time it was retired. */
export function withRetirement<K extends KeyMeta>(keys: readonly K[]): KeyWithRetirement<K>[] {
  const sorted = [...keys].sort((a, b) => b.createdAt - a.createdAt || (a.kid < b.kid ? 1 : -1));
  return sorted.map((key, i) => ({ key, retiredAt: i === 0 ? undefined : sorted[i - 1]!.createdAt }));
}

/** The key that signs: the newest one. */
export function currentKey<K extends KeyMeta>(keys: readonly K[]): K | undefined {
  return withRetirement(keys)[0]?.key;
}

/** Whether a new key is due: there is none, or the newest is older than the rotation interval. */
export function needsRotation(keys: readonly KeyMeta[], now: number, rotationMs: number): boolean {
  const current = currentKey(keys);
  return current === undefined || now - current.createdAt >= rotationMs;
}

/** Whether a retired key may still have signed a token that has not expired yet. */
function stillNeeded(retiredAt: number | undefined, now: number, policy: PublicationPolicy): boolean {
  return retiredAt === undefined || now < retiredAt + policy.accessTokenTtlMs + policy.graceMs;
}

/** The keys the JWKS lists (and that verify tokens): the current one and retired ones still needed. */
export function publishedKeys<K extends KeyMeta>(keys: readonly K[], now: number, policy: PublicationPolicy): K[] {
  return withRetirement(keys)
    .filter((k) => stillNeeded(k.retiredAt, now, policy))
    .map((k) => k.key);
}

/** Keys no token can need any more; safe to delete. */
export function expiredKeys<K extends KeyMeta>(keys: readonly K[], now: number, policy: PublicationPolicy): K[] {
  return withRetirement(keys)
    .filter((k) => !stillNeeded(k.retiredAt, now, policy))
    .map((k) => k.key);
}
