// The data directory's private parts: logs/ (and secrets/) are 0700, also when an older run made them 0755.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ensurePrivateDir } from './data-dir.ts';

const root = await mkdtemp(path.join(tmpdir(), 'souk-datadir-'));
after(() => rm(root, { recursive: true, force: true }));

test('ensurePrivateDir creates the directory 0700 and tightens an existing one', async () => {
  const fresh = path.join(root, 'data', 'logs');
  await ensurePrivateDir(fresh);
  assert.equal((await stat(fresh)).mode & 0o777, 0o700);
  const old = path.join(root, 'old-logs');
  await mkdir(old);
  await chmod(old, 0o755);
  await ensurePrivateDir(old);
  assert.equal((await stat(old)).mode & 0o777, 0o700);
});
