// Email addresses as account names: one normal form (trimmed, lowercased) so
// that "Ann@Example.com " and "ann@example.com" are the same account.

/** Longest address SMTP can carry (RFC 5321 path limit minus the brackets). */
export const MAX_EMAIL_LENGTH = 254;

// Deliberately simple: one @, a non-empty local part without spaces, a domain
// with at least one dot. Deliverability is proven by mail, not by a regex.
const EMAIL_SHAPE = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/u;

/** The normal form used for storage, lookups and throttling. */
export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Whether an already-normalised address is acceptable as an account name. */
export function isValidEmail(email: string): boolean {
  return email.length <= MAX_EMAIL_LENGTH && EMAIL_SHAPE.test(email);
}

/** The part before the last `@` (empty when there is none). */
export function emailLocalPart(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? '' : email.slice(0, at);
}
