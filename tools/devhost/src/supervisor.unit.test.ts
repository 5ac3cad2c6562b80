// Supervision: the backoff schedule, restart of a crashed process on the same port, and the stop
// sequence (SIGTERM, then SIGKILL after the deadline). Child processes are tiny scripts in a temp dir.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { anyFreePort, isAlive } from './data-dir.ts';
import { ManagedInstance, RestartBackoff, httpStatus, type InstanceHooks } from './supervisor.ts';
import { waitFor } from './wait.ts';

test('backoff doubles from 250 ms to a 10 s cap', () => {
  const backoff = new RestartBackoff();
  const delays = Array.from({ length: 8 }, () => backoff.next(100));
  assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 8000, 10000, 10000]);
});

test('backoff starts over after a process stayed up 30 s', () => {
  const backoff = new RestartBackoff();
  backoff.next(100);
  backoff.next(100);
  assert.equal(backoff.next(29_999), 1000);
  assert.equal(backoff.next(30_000), 250);
  assert.equal(backoff.next(10), 500);
});

const dir = await mkdtemp(path.join(tmpdir(), 'souk-supervisor-'));
after(() => rm(dir, { recursive: true, force: true }));

// Answers /health/ready; /crash exits with code 3; with IGNORE_TERM it shrugs off SIGTERM.
const server = path.join(dir, 'server.mjs');
await writeFile(
  server,
  `
import http from 'node:http';
if (process.env.IGNORE_TERM) process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
else process.on('SIGTERM', () => { console.log('bye'); process.exit(0); });
http.createServer((req, res) => {
  if (req.url === '/crash') { res.end(); setImmediate(() => process.exit(3)); return; }
  res.statusCode = req.url === '/health/ready' ? 200 : 404; res.end();
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(JSON.stringify({ level: 30, msg: 'listening' })));
`,
);

function recorder(): InstanceHooks & { lines: string[]; warnings: string[] } {
  const lines: string[] = [];
  const warnings: string[] = [];
  return { lines, warnings, line: (_id, l) => lines.push(l), info: () => {}, warn: (m) => warnings.push(m), changed: () => {} };
}

async function instance(env: Record<string, string> = {}) {
  const port = await anyFreePort();
  const hooks = recorder();
  const managed = new ManagedInstance(
    {
      service: 'fake',
      instanceId: 'fake-1',
      url: `http://127.0.0.1:${port}`,
      adminUrl: `http://127.0.0.1:${port}`,
      command: process.execPath,
      args: [server],
      cwd: dir,
      env: { ...process.env, ...env, PORT: String(port) },
    },
    hooks,
    { backoff: { initialMs: 50, maxMs: 1000, resetAfterMs: 30_000 }, readinessIntervalMs: 20 },
  );
  return { managed, hooks, port };
}

const until = (check: () => boolean, what: string) => waitFor(check, { timeoutMs: 10_000, intervalMs: 20, what });

test('a crashed process is restarted on the same port and becomes ready again', async () => {
  const { managed, hooks } = await instance();
  managed.start();
  await until(() => managed.state === 'ready', 'first ready');
  const firstPid = managed.pid;
  assert.ok(hooks.lines.some((l) => l.includes('listening')));
  await httpStatus(`${managed.spec.url}/crash`, 2000);
  await until(() => managed.restarts === 1 && managed.state === 'ready', 'ready after restart');
  assert.notEqual(managed.pid, firstPid);
  assert.match(hooks.warnings[0] ?? '', /fake-1 exited with code 3 after .*; restart #1 in 50 ms/);
  await managed.stop(5_000);
  assert.equal(managed.state, 'stopped');
});

test('kill -9 of the process counts as a crash too', async () => {
  const { managed, hooks } = await instance();
  managed.start();
  await until(() => managed.state === 'ready', 'ready');
  process.kill(managed.pid!, 'SIGKILL');
  await until(() => managed.restarts === 1 && managed.state === 'ready', 'ready after kill');
  assert.match(hooks.warnings[0] ?? '', /was killed by SIGKILL/);
  await managed.stop(5_000);
});

test('stop sends SIGTERM and does not restart', async () => {
  const { managed, hooks } = await instance();
  managed.start();
  await until(() => managed.state === 'ready', 'ready');
  const pid = managed.pid!;
  await managed.stop(5_000);
  assert.equal(isAlive(pid), false);
  assert.ok(hooks.lines.includes('bye'));
  assert.equal(managed.restarts, 0);
  managed.start(); // ignored after stop
  assert.equal(managed.state, 'stopped');
});

test('a process that ignores SIGTERM is killed at the deadline', async () => {
  const { managed, hooks } = await instance({ IGNORE_TERM: '1' });
  managed.start();
  await until(() => managed.state === 'ready', 'ready');
  const pid = managed.pid!;
  await managed.stop(300);
  assert.equal(isAlive(pid), false);
  assert.match(hooks.warnings.join('\n'), /did not stop within 0.3 s; killing it/);
});

test("an operator's kill leaves the instance down until a restart brings it back", async () => {
  const { managed, hooks } = await instance();
  managed.start();
  await until(() => managed.state === 'ready', 'ready');
  const pid = managed.pid!;
  assert.equal(await managed.operate('kill', 5_000), 'killed');
  await until(() => managed.pid === undefined, 'the process gone');
  assert.equal(isAlive(pid), false);
  assert.equal(managed.restarts, 0, 'not restarted as after a crash');
  assert.match(hooks.warnings.join('\n'), /killed by an operator/);
  await assert.rejects(managed.operate('kill', 5_000), { name: 'Error', message: /already killed/ });
  await assert.rejects(managed.operate('pause', 5_000), /only a running instance can be paused/);
  await managed.operate('restart', 5_000);
  await until(() => managed.state === 'ready', 'ready after the restart');
  assert.notEqual(managed.pid, pid);
  await managed.stop(5_000);
});

test('pause stops the process (it answers nothing) and resume makes it ready again', async () => {
  const { managed } = await instance();
  managed.start();
  await until(() => managed.state === 'ready', 'ready');
  const pid = managed.pid!;
  assert.equal(await managed.operate('pause', 5_000), 'paused');
  assert.equal(await httpStatus(`${managed.spec.url}/health/ready`, 300), 0, 'a stopped process does not answer');
  assert.equal(isAlive(pid), true);
  await assert.rejects(managed.operate('pause', 5_000), /only a running instance can be paused/);
  assert.equal(await managed.operate('resume', 5_000), 'starting');
  await until(() => managed.state === 'ready', 'ready after resume');
  assert.equal(managed.pid, pid, 'the same process');
  await assert.rejects(managed.operate('resume', 5_000), /not paused/);
  // A paused instance still stops with the devhost (SIGCONT before SIGTERM).
  await managed.operate('pause', 5_000);
  await managed.stop(5_000);
  assert.equal(isAlive(pid), false);
  await assert.rejects(managed.operate('restart', 5_000), /stopping with the devhost/);
});

test('restart stops a running instance gracefully and starts a new process', async () => {
  const { managed, hooks } = await instance();
  managed.start();
  await until(() => managed.state === 'ready', 'ready');
  const pid = managed.pid!;
  await managed.operate('restart', 5_000);
  assert.ok(hooks.lines.includes('bye'), 'SIGTERM first');
  await until(() => managed.state === 'ready', 'ready after the restart');
  assert.notEqual(managed.pid, pid);
  assert.equal(managed.restarts, 0);
  await managed.stop(5_000);
});
