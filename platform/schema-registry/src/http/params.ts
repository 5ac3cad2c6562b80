// Subject names and version ids from the path, checked the way Confluent
// checks them (42208 invalid subject, 42202 invalid version).

import { MAX_VERSION } from '../../contract.ts';
import { registryErrors } from '../errors.ts';
import type { VersionSpec } from '../registry/subjects.ts';

export const MAX_SUBJECT_LENGTH = 255;

// Control characters (C0, DEL, C1) cannot be stored or shown safely in a subject name.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function subjectOf(raw: string): string {
  if (raw.length === 0 || raw.length > MAX_SUBJECT_LENGTH || CONTROL.test(raw)) {
    throw registryErrors.invalidSubject(
      `The specified subject is not valid: a subject is 1 to ${MAX_SUBJECT_LENGTH} characters without control characters.`,
    );
  }
  return raw;
}

export function versionOf(raw: string): VersionSpec {
  if (raw === 'latest' || raw === '-1') return 'latest';
  const n = /^[1-9][0-9]{0,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n > MAX_VERSION) {
    throw registryErrors.invalidVersion(
      `The specified version '${raw}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    );
  }
  return n;
}
