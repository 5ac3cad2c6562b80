// Loads every error catalogue in the repository (each module that calls
// defineErrors) and renders docs/errors.md from it. `npm run docs:errors`
// writes the file; tests/error-catalogue.unit.test.ts keeps it in step.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorCatalogue, type ErrorSpec } from '@souk/chassis';

export const root = new URL('..', import.meta.url).pathname;
const SOURCE_DIRS = ['packages', 'platform', 'services', 'tools'];

/** Every non-test TypeScript source file of the deployables and libraries. */
export function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) && !path.includes('/test/')) out.push(path);
    }
  };
  for (const dir of SOURCE_DIRS) walk(join(root, dir));
  return out.sort();
}

/** Imports each module that defines errors, filling the chassis catalogue. */
export async function loadCatalogue(): Promise<Map<string, ErrorSpec & { module: string }>> {
  const owners = new Map<string, string>();
  for (const file of sourceFiles()) {
    const text = readFileSync(file, 'utf8');
    if (!/defineErrors\(\{/.test(text)) continue;
    await import(pathToFileURL(file).href);
    for (const code of text.match(/SOUK_[A-Z0-9_]+/g) ?? []) if (!owners.has(code)) owners.set(code, relative(root, file));
  }
  const catalogue = new Map<string, ErrorSpec & { module: string }>();
  for (const [code, spec] of errorCatalogue()) catalogue.set(code, { ...spec, module: owners.get(code) ?? '?' });
  return catalogue;
}

export function renderErrorDocs(catalogue: Map<string, ErrorSpec & { module: string }>): string {
  const rows = [...catalogue.values()]
    .sort((a, b) => a.code.localeCompare(b.code))
    .map(
      (s) => `| \`${s.code}\` | ${s.status} | ${s.retryable ? 'yes' : 'no'} | ${s.title} | ${s.description} | \`${s.module}\` |`,
    );
  return [
    '# Error codes',
    '',
    'Every error souk returns is an RFC 9457 `application/problem+json` document with a stable `code`',
    '(and `type` = `urn:souk:problem:<code>`). This page is generated from the catalogues in the code',
    '(`npm run docs:errors`); a test fails when it is out of date or when code uses an unlisted code.',
    '',
    '| code | status | retryable | title | when | defined in |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(root, 'docs/errors.md'), renderErrorDocs(await loadCatalogue()));
  console.log('wrote docs/errors.md');
}
