// Crashes and operators: a runner SIGKILLed inside a step (another runner takes
// the saga over when the lease runs out; the same instance restarted resumes it
// at once), and the admin routes of a service using useSagas.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { after, afterEach, before, test } from 'node:test';
import { startService } from '../service.ts';
import { assertProblem, call, createTestIssuer, waitFor } from '../testing/index.ts';
import { chassisErrors } from '../errors/codes.ts';
import { DEMO, demoSaga, demoService } from './test/fixture.ts';
import { sagaTestDb, type SagaTestDb } from './test/harness.ts';

const FIXTURE_MAIN = fileURLToPath(new URL('./test/fixture-main.ts', import.meta.url));

let t: SagaTestDb;
const children: ChildProcess[] = [];
before(async () => {
  t = await sagaTestDb('crash');
});
afterEach(async () => {
  await Promise.all(children.splice(0).map(kill));
  await t.stopRunners();
});
after(async () => {
  await t.close();
});

/** The demo saga service as a child process; resolves with it once it prints a line matching `pattern`. */
function spawnRunner(env: Record<string, string>): { child: ChildProcess; line(pattern: RegExp): Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE_MAIN], {
    env: { ...process.env, DATABASE_URL: t.test.url, LOG_LEVEL: 'silent', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  return {
    child,
    line: (pattern) =>
      waitFor(
        () =>
          out.split('\n').find((l) => pattern.test(l)) ??
          (child.exitCode !== null ? Promise.reject(new Error(`fixture exited: ${err}`)) : undefined),
        {
          timeoutMs: 30_000,
          what: `fixture line ${pattern}`,
        },
      ),
  };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

test('SIGKILL inside a step: another runner takes the saga over once the lease runs out, and finishes it', async () => {
  const starter = t.runner(demoSaga(), { run: false });
  const id = randomUUID();
  await t.start(starter, id, 3);
  const doomed = spawnRunner({ INSTANCE_ID: 'doomed-1', FIXTURE_HANG_IN: 'two', SAGA_LEASE_MS: '1000' });
  await doomed.line(new RegExp(`IN STEP two ${id}`));
  await kill(doomed.child);

  const before = (await starter.get(id))!;
  assert.equal(before.status, 'RUNNING');
  assert.equal(before.leaseOwner, 'doomed-1', 'the dead instance still holds the lease');
  assert.equal(before.currentStep, 'two');

  const heir = t.runner(demoSaga(), { leaseMs: 1_000, pollIntervalMs: 100 });
  await t.waitStatus(heir, id, 'COMPLETED', 15_000);
  const view = (await heir.get(id))!;
  const two = view.log.filter((l) => l.step === 'two');
  assert.deepEqual(
    two.map((l) => [l.kind, l.attempt, l.owner === 'doomed-1' ? 'doomed' : 'heir']),
    [
      ['step_started', 1, 'doomed'],
      ['step_started', 2, 'heir'],
      ['step_succeeded', 2, 'heir'],
    ],
  );
  const effects = await t.effects(id);
  assert.deepEqual(
    effects.filter((e) => e.phase === 'run').map((e) => `${e.step}#${e.attempt}`),
    ['one#1', 'two#2', 'three#1'],
  );
  assert.deepEqual(view.state, { n: 3, one: 'one-3', two: 'two-3', three: 'three-3' }, 'state from before the crash was kept');
});

test('an instance restarted with the same id resumes its own sagas at once, without waiting for its lease', async () => {
  const starter = t.runner(demoSaga(), { run: false });
  const id = randomUUID();
  await t.start(starter, id);
  const first = spawnRunner({ INSTANCE_ID: 'same-1', FIXTURE_HANG_IN: 'three', SAGA_LEASE_MS: '30000' });
  await first.line(new RegExp(`IN STEP three ${id}`));
  await kill(first.child);
  const { rows } = await sql<{ lease_until: Date }>`select lease_until from souk_saga where id = ${id}`.execute(t.db);
  const leaseUntil = rows[0]!.lease_until;

  spawnRunner({ INSTANCE_ID: 'same-1', SAGA_LEASE_MS: '30000' });
  // Longer than the lease, so that a runner that waited for it would still finish and fail the check below.
  await t.waitStatus(starter, id, 'COMPLETED', 60_000);
  const view = (await starter.get(id))!;
  assert.equal(view.steps.find((s) => s.name === 'three')!.attempts, 2);
  const resumed = view.log.filter((l) => l.kind === 'step_started' && l.step === 'three').at(-1)!;
  assert.ok(
    Date.parse(resumed.at) < leaseUntil.getTime(),
    `resumed at ${resumed.at}, before the killed runner's lease ran out at ${leaseUntil.toISOString()}`,
  );
});

test('admin routes: list by status, one saga with its log, retry of a parked saga; admin only', async () => {
  const issuer = await createTestIssuer();
  let healthy = false;
  const svc = await startService(
    demoService({
      parkAfter: 2,
      behaviour(ctx, phase) {
        if (phase === 'run' && ctx.step === 'three') throw chassisErrors.invalidRequest('refused');
        if (phase === 'compensate' && ctx.step === 'two' && !healthy) throw chassisErrors.connectionFailed('down');
      },
    }),
    { env: { DATABASE_URL: t.test.url, LOG_LEVEL: 'silent' } },
  );
  svc.ctx.auth.setKeySource(issuer.keySource);
  try {
    const admin = await issuer.token({ roles: ['admin'] });
    const customer = await issuer.token();
    const id = randomUUID();
    assert.equal((await call(svc.url, 'POST', '/start', { body: { id, n: 1 } })).status, 200);
    await waitFor(
      async () => (await call(svc.adminUrl, 'GET', `/_admin/sagas/${id}`, { token: admin })).json?.status === 'PARKED',
      {
        what: 'parked',
      },
    );

    assertProblem(await call(svc.adminUrl, 'GET', '/_admin/sagas'), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await call(svc.adminUrl, 'GET', '/_admin/sagas', { token: customer }), 403, 'SOUK_AUTH_FORBIDDEN');
    assertProblem(await call(svc.adminUrl, 'GET', '/_admin/sagas?status=LOST', { token: admin }), 400, 'SOUK_REQUEST_INVALID');
    const parked = await call(svc.adminUrl, 'GET', '/_admin/sagas?status=PARKED', { token: admin });
    assert.equal(parked.status, 200);
    assert.ok(
      parked.json.sagas.some(
        (s: { id: string; name: string; currentStep: string }) => s.id === id && s.name === DEMO && s.currentStep === 'two',
      ),
    );

    const one = await call(svc.adminUrl, 'GET', `/_admin/sagas/${id}`, { token: admin });
    assert.equal(one.json.failure.code, 'SOUK_REQUEST_INVALID');
    assert.equal(one.json.log.at(-1).kind, 'saga_parked');
    assertProblem(await call(svc.adminUrl, 'GET', `/_admin/sagas/${randomUUID()}`, { token: admin }), 404, 'SOUK_SAGA_NOT_FOUND');
    assertProblem(await call(svc.adminUrl, 'POST', `/_admin/sagas/${id}/retry`, { token: customer }), 403, 'SOUK_AUTH_FORBIDDEN');

    healthy = true;
    const retried = await call(svc.adminUrl, 'POST', `/_admin/sagas/${id}/retry`, { token: admin });
    assert.equal(retried.status, 200, retried.text);
    await waitFor(
      async () => (await call(svc.adminUrl, 'GET', `/_admin/sagas/${id}`, { token: admin })).json?.status === 'COMPENSATED',
      { what: 'compensated' },
    );
    assertProblem(await call(svc.adminUrl, 'POST', `/_admin/sagas/${id}/retry`, { token: admin }), 409, 'SOUK_SAGA_NOT_PARKED');
    const metrics = await (await fetch(`${svc.adminUrl}/metrics`)).text();
    assert.match(metrics, /souk_saga_steps_total\{[^}]*saga="demo"[^}]*step="two"[^}]*outcome="compensated"[^}]*\} 1/);
  } finally {
    await svc.stop();
  }
});
