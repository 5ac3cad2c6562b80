// Assertions the OTLP tests share.

import assert from 'node:assert/strict';
import { isOtlpDecodeError } from '../errors.ts';

/** `fn` throws an OtlpDecodeError whose message matches `message`; returns the message. */
export function assertDecodeError(fn: () => unknown, message: RegExp): string {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(isOtlpDecodeError(caught), `expected an OtlpDecodeError, got ${String(caught)}`);
  assert.match(caught.message, message);
  return caught.message;
}
