// Name-based UUIDs (RFC 9562 version 5): the same seed slug gives the same id
// in every environment, so demos, tests and other services can rely on it.

import { createHash } from 'node:crypto';

/** Namespace of souk catalog seed ids (a random v4 UUID chosen once). */
export const SEED_NAMESPACE = '6f1c2b8e-3d4a-4f5b-9c7d-2e8a1b0c9d3f';

export function uuidV5(name: string, namespace: string = SEED_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
