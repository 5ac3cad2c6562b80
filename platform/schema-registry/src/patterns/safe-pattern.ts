// Regular expressions from schemas (`pattern`, `patternProperties`) are
// anyone's input: they run under RE2 (re2js, pure JavaScript), whose matching
// time is linear in the input, so `^(a+)+$` against "aaaa…!" cannot hang the
// event loop as a backtracking `new RegExp` does. Lengths are bounded too.

import { RE2JS } from 're2js';
import { registryErrors } from '../errors.ts';

/** Far beyond the patterns real schemas carry; RE2's compile cost grows with the pattern. */
export const MAX_PATTERN_LENGTH = 1_000;
/** Longest string a pattern is matched against (the request body limit keeps real inputs far below). */
export const MAX_MATCH_INPUT_LENGTH = 1_048_576;
/** Compiled patterns kept, least recently used first out: registrations of one schema reuse them. */
const CACHE_SIZE = 256;

/** What ajv and the compatibility check need of a regular expression. */
export interface SafePattern {
  test(input: string): boolean;
}

const cache = new Map<string, SafePattern>();

/**
 * Compiles an ECMA-262 pattern (JSON Schema's dialect) under RE2. Throws
 * SOUK_SCHEMA_REGISTRY_PATTERN_UNSUPPORTED when the pattern is too long or
 * needs what a linear-time engine cannot do (lookaround, backreferences).
 */
export function compilePattern(pattern: string, flags = ''): SafePattern {
  const key = `${flags}/${pattern}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw registryErrors.patternUnsupported(
      `Invalid schema: the pattern ${preview(pattern)} is ${pattern.length} characters long; the limit is ${MAX_PATTERN_LENGTH}`,
    );
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(pattern), flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (err) {
    throw registryErrors.patternUnsupported({
      detail: `Invalid schema: the pattern ${preview(pattern)} cannot be compiled by the linear-time (RE2) engine: ${(err as Error).message}`,
      cause: err,
    });
  }
  const compiled: SafePattern = {
    test(input: string): boolean {
      if (input.length > MAX_MATCH_INPUT_LENGTH) {
        throw registryErrors.patternUnsupported(
          `A string of ${input.length} characters is longer than the ${MAX_MATCH_INPUT_LENGTH} a pattern is matched against`,
        );
      }
      return re.test(input);
    },
  };
  cache.set(key, compiled);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return compiled;
}

/** ajv's `code.regExp` engine: every `pattern` and `patternProperties` of a compiled schema goes through RE2. */
export const ajvRegExp = Object.assign((pattern: string, flags: string) => compilePattern(pattern, flags), {
  code: 'compilePattern',
});

function preview(pattern: string): string {
  return JSON.stringify(pattern.length > 60 ? `${pattern.slice(0, 60)}…` : pattern);
}
