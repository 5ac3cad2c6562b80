import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleServices } from './bundle.ts';

test('bundles are reused while no input changed, and rebuilt when one did or an output is gone', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'souk-bundle-'));
  try {
    const entry = path.join(root, 'main.ts');
    const dep = path.join(root, 'greeting.ts');
    await writeFile(entry, "import { greeting } from './greeting.ts';\nconsole.log(greeting);\n");
    await writeFile(dep, "export const greeting: string = 'hello';\n");
    const entries = [{ name: 'svc', entry }];
    const dataDir = path.join(root, 'data');

    const first = await bundleServices(root, dataDir, entries);
    assert.equal(first.reused, false);
    const bundle = first.bundles.get('svc')!;
    assert.match(await readFile(bundle, 'utf8'), /hello/);

    assert.equal((await bundleServices(root, dataDir, entries)).reused, true);
    // Another data dir (a test run's) finds the same inputs built already.
    const other = await bundleServices(root, path.join(root, 'other-data'), entries);
    assert.equal(other.reused, true);
    assert.equal(other.bundles.get('svc'), bundle);

    // An imported file edited (a new mtime, another size): rebuilt, with the new text.
    await writeFile(dep, "export const greeting: string = 'hello again';\n");
    const later = new Date(Date.now() + 5_000);
    await utimes(dep, later, later);
    const edited = await bundleServices(root, dataDir, entries);
    assert.equal(edited.reused, false);
    assert.match(await readFile(bundle, 'utf8'), /hello again/);

    await rm(bundle);
    assert.equal((await bundleServices(root, dataDir, entries)).reused, false, 'a missing output rebuilds');

    // Source maps only when asked for; asking is another build, not a reuse of the one without.
    assert.equal(existsSync(`${bundle}.map`), false);
    assert.equal((await bundleServices(root, dataDir, entries, { sourceMaps: true })).reused, false);
    assert.equal(existsSync(`${bundle}.map`), true);
    assert.equal((await bundleServices(root, dataDir, entries, { sourceMaps: true })).reused, true);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
