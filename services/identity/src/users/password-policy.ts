// The password rules as one pure function that reports every rule a password
// breaks, so the sign-up form can show them all at once.

import { isCommonPassword } from './common-passwords.ts';
import { emailLocalPart } from './email.ts';

export const MIN_PASSWORD_LENGTH = 10;
/** From this length on, a password needs no mix of character classes (a passphrase). */
export const PASSPHRASE_LENGTH = 16;
export const MIN_CHARACTER_CLASSES = 3;
/** Shorter local parts (`a@x.org`) would forbid too many good passwords. */
const MIN_LOCAL_PART_TO_CHECK = 3;

export type PasswordRule = 'too_short' | 'common' | 'contains_email' | 'too_few_character_classes';

export interface PasswordReason {
  rule: PasswordRule;
  message: string;
}

export type PasswordVerdict = { ok: true } | { ok: false; reasons: PasswordReason[] };

/** Which of lowercase, uppercase, digits and everything else the password uses. */
export function characterClasses(password: string): number {
  let classes = 0;
  if (/\p{Ll}/u.test(password)) classes++;
  if (/\p{Lu}/u.test(password)) classes++;
  if (/\p{Nd}/u.test(password)) classes++;
  if (/[^\p{Ll}\p{Lu}\p{Nd}]/u.test(password)) classes++;
  return classes;
}

/** Checks a password for an account with the given (normalised) email. */
export function checkPassword(password: string, email: string): PasswordVerdict {
  const reasons: PasswordReason[] = [];
  // Count code points, not UTF-16 units, so emoji count as one character each.
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) {
    reasons.push({ rule: 'too_short', message: `Use at least ${MIN_PASSWORD_LENGTH} characters.` });
  }
  if (isCommonPassword(password)) {
    reasons.push({ rule: 'common', message: 'This password is among the most common ones; choose another.' });
  }
  const local = emailLocalPart(email).toLowerCase();
  if (local.length >= MIN_LOCAL_PART_TO_CHECK && password.toLowerCase().includes(local)) {
    reasons.push({ rule: 'contains_email', message: 'The password must not contain your email address.' });
  }
  if (length < PASSPHRASE_LENGTH && characterClasses(password) < MIN_CHARACTER_CLASSES) {
    reasons.push({
      rule: 'too_few_character_classes',
      message:
        `Mix at least ${MIN_CHARACTER_CLASSES} of lowercase letters, uppercase letters, digits and symbols, ` +
        `or use ${PASSPHRASE_LENGTH} characters or more.`,
    });
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}
