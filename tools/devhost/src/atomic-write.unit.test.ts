// The one write-then-rename helper behind devhost.json, endpoints.json, devhost-state.json and clients.json.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { writeJsonAtomic, writeJsonAtomicSync } from './atomic-write.ts';

const dir = await mkdtemp(path.join(tmpdir(), 'souk-atomic-'));
after(() => rm(dir, { recursive: true, force: true }));

test('replaces the file with indented JSON and leaves no temp file behind', async () => {
  const file = path.join(dir, 'state.json');
  await writeFile(file, 'old');
  await writeJsonAtomic(file, { a: 1 });
  assert.equal(await readFile(file, 'utf8'), '{\n  "a": 1\n}\n');
  writeJsonAtomicSync(file, { b: 2 });
  assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { b: 2 });
  assert.deepEqual(await readdir(dir), ['state.json']);
});

test('a mode given for secrets applies to the new file', async () => {
  const file = path.join(dir, 'clients.json');
  await writeJsonAtomic(file, [], { mode: 0o600 });
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  writeJsonAtomicSync(path.join(dir, 'sync.json'), [], { mode: 0o600 });
  assert.equal((await stat(path.join(dir, 'sync.json'))).mode & 0o777, 0o600);
});

test('a failed write leaves the old file and no temp file', async () => {
  const file = path.join(dir, 'missing-dir', 'x.json');
  await assert.rejects(writeJsonAtomic(file, {}), { code: 'ENOENT' });
  assert.throws(() => writeJsonAtomicSync(file, {}), { code: 'ENOENT' });
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const kept = path.join(dir, 'kept.json');
  await writeFile(kept, 'old');
  await assert.rejects(writeJsonAtomic(kept, circular), TypeError);
  assert.equal(await readFile(kept, 'utf8'), 'old');
  assert.ok(!(await readdir(dir)).some((e) => e.endsWith('.tmp')));
});
