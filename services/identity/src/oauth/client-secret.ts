// Confidential clients' secrets are machine-made random tokens (the devhost makes
// 24 random bytes; the clients file refuses fewer than 16 characters), not
// passwords a person chose: nobody guesses one, so a slow hash buys nothing and
// costs a lot. scrypt took ~0.1 s of CPU per client at every start (the sync
// below compared each secret with its stored hash: 1.6 s for 16 clients, up to
// 17 s on a busy machine) and per client_credentials grant, also for unknown
// client ids. A SHA-256 of the secret is what API-key stores keep; compared in
// constant time. Hashes from before (scrypt, PHC format) still verify, and the
// start-up sync replaces them.

import { createHash, timingSafeEqual } from 'node:crypto';
import { verifyPassword } from '../users/password-hash.ts';

const PREFIX = '$sha256$';

export function hashClientSecret(secret: string): string {
  return PREFIX + createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Whether `stored` is this module's format (not a legacy scrypt hash that the sync should replace). */
export const isCurrentClientSecretHash = (stored: string): boolean => stored.startsWith(PREFIX);

/** Whether `secret` is the one `stored` was made from. */
export async function clientSecretMatches(secret: string, stored: string): Promise<boolean> {
  if (!isCurrentClientSecretHash(stored)) return verifyPassword(secret, stored);
  const expected = Buffer.from(stored.slice(PREFIX.length), 'base64url');
  const actual = createHash('sha256').update(secret, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
