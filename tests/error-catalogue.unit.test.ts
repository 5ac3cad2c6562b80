// Keeps the error catalogue complete (fastify keeps errorCodes and its docs in step this way):
// every code the source uses is defined in a catalogue, and docs/errors.md lists exactly those.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalogue, renderErrorDocs, root, sourceFiles } from '../tools/error-docs.ts';

const catalogue = await loadCatalogue();

test('every SOUK_ code used in source is defined in a catalogue', () => {
  const undefinedCodes: string[] = [];
  for (const file of sourceFiles()) {
    // Quoted literals only: SOUK_* environment variables (process.env.SOUK_DATA_DIR) are not error codes.
    for (const literal of readFileSync(file, 'utf8').match(/['"`]SOUK_[A-Z0-9_]+['"`]/g) ?? []) {
      const code = literal.slice(1, -1);
      if (!catalogue.has(code)) undefinedCodes.push(`${code} in ${file.slice(root.length)}`);
    }
  }
  assert.deepEqual(undefinedCodes, []);
});

test('every catalogued code has a status, a title and a description', () => {
  for (const spec of catalogue.values()) {
    assert.ok(spec.status >= 400 && spec.status < 600, spec.code);
    assert.ok(spec.title.length > 3, spec.code);
    assert.ok(spec.description.length > 10, spec.code);
  }
});

test('docs/errors.md is up to date (npm run docs:errors)', () => {
  assert.equal(readFileSync(join(root, 'docs/errors.md'), 'utf8'), renderErrorDocs(catalogue));
});
