// Unit tests of the periodic tick on fake timers: when runs start, that they
// never overlap, that errors do not end the loop, and that stop() waits.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, it, mock } from 'node:test';
import { Registry } from 'prom-client';
import { startPeriodic, type Periodic } from './periodic.ts';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
afterEach(() => mock.timers.reset());

/** A run the test ends by hand, to hold one in flight. */
function gate() {
  let open!: () => void;
  let fail!: (err: unknown) => void;
  const promise = new Promise<void>((resolve, reject) => ((open = resolve), (fail = reject)));
  return { promise, open, fail };
}

/** Lets the promise callbacks queued by a run's end (then/finally) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function silentLog() {
  const errors: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  return { errors, log: { error: (fields: Record<string, unknown>, msg: string) => void errors.push({ fields, msg }) } as never };
}

function recorder() {
  const starts: number[] = [];
  return { starts, run: () => void starts.push(Date.now()) };
}

it('runs every interval, the first after one interval', async () => {
  const { starts, run } = recorder();
  const periodic = startPeriodic({ name: 'sweep', intervalMs: 1_000, run, log: silentLog().log });
  try {
    mock.timers.tick(999);
    assert.deepEqual(starts, []);
    for (let i = 0; i < 3; i++) {
      mock.timers.tick(1);
      await settle();
      mock.timers.tick(999);
    }
    assert.deepEqual(starts, [1_000, 2_000, 3_000]);
  } finally {
    await periodic.stop();
  }
});

it('runs at once on start when asked', async () => {
  const { starts, run } = recorder();
  const periodic = startPeriodic({ name: 'sweep', intervalMs: 1_000, run, log: silentLog().log, runAtStart: true });
  try {
    mock.timers.tick(0);
    await settle();
    mock.timers.tick(1_000);
    assert.deepEqual(starts, [0, 1_000]);
  } finally {
    await periodic.stop();
  }
});

it('never starts a run while one is in flight: a slow run delays the next tick', async () => {
  const runs: Array<ReturnType<typeof gate>> = [];
  let inFlight = 0;
  let most = 0;
  const starts: number[] = [];
  const periodic = startPeriodic({
    name: 'slow',
    intervalMs: 100,
    log: silentLog().log,
    async run() {
      starts.push(Date.now());
      most = Math.max(most, ++inFlight);
      const g = gate();
      runs.push(g);
      await g.promise.finally(() => inFlight--);
    },
  });
  try {
    mock.timers.tick(100);
    assert.equal(runs.length, 1);
    // Ten intervals pass, and asks for a run come in, while the first run is still going.
    periodic.runNow();
    mock.timers.tick(1_000);
    await settle();
    assert.equal(runs.length, 1, 'a second run started while the first was in flight');
    runs[0]!.open();
    await settle();
    // The run asked for during the first one comes right after it (once, not once per ask or per interval) ...
    mock.timers.tick(0);
    assert.equal(runs.length, 2);
    runs[1]!.open();
    await settle();
    // ... and the regular tick one interval after that run's end.
    mock.timers.tick(99);
    assert.equal(runs.length, 2);
    mock.timers.tick(1);
    assert.equal(runs.length, 3);
    runs[2]!.open();
    await settle();
    assert.deepEqual(starts, [100, 1_100, 1_200]);
    assert.equal(most, 1);
  } finally {
    await periodic.stop();
  }
});

it('logs a failed run with the task name and runs again at the next tick', async () => {
  const { errors, log } = silentLog();
  const registry = new Registry();
  let calls = 0;
  const periodic = startPeriodic({
    name: 'flaky',
    intervalMs: 50,
    log,
    metrics: registry,
    run() {
      calls++;
      if (calls === 1) return Promise.reject(new Error('database away'));
      if (calls === 2) throw new Error('thrown at once');
    },
  });
  try {
    for (let i = 0; i < 3; i++) {
      mock.timers.tick(50);
      await settle();
    }
    assert.equal(calls, 3);
    assert.deepEqual(
      errors.map((e) => [e.fields.task, (e.fields.err as Error).message, e.msg]),
      [
        ['flaky', 'database away', 'flaky failed; trying again at the next tick'],
        ['flaky', 'thrown at once', 'flaky failed; trying again at the next tick'],
      ],
    );
    const runs = await registry.getSingleMetric('souk_periodic_runs_total')!.get();
    assert.deepEqual(
      runs.values.map((v) => [v.labels.outcome, v.value]),
      [
        ['failed', 2],
        ['succeeded', 1],
      ],
    );
  } finally {
    await periodic.stop();
  }
});

it('stop() aborts the run in flight, waits for its end and starts no run after', async () => {
  const g = gate();
  let seen: AbortSignal | undefined;
  let calls = 0;
  const periodic = startPeriodic({
    name: 'long',
    intervalMs: 10,
    log: silentLog().log,
    async run(signal) {
      calls++;
      seen = signal;
      await g.promise;
    },
  });
  mock.timers.tick(10);
  assert.equal(calls, 1);
  let stopped = false;
  const stopping = periodic.stop().then(() => (stopped = true));
  await settle();
  assert.equal(seen?.aborted, true, 'the run was not told to stop');
  assert.equal(stopped, false, 'stop() resolved while the run was still going');
  g.open();
  await stopping;
  periodic.runNow();
  mock.timers.tick(1_000);
  await settle();
  assert.equal(calls, 1);
});

it('a run ended by the stop signal is not logged as a failure', async () => {
  const { errors, log } = silentLog();
  const registry = new Registry();
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const periodic = startPeriodic({
    name: 'batches',
    intervalMs: 10,
    log,
    metrics: registry,
    async run(signal) {
      started();
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    },
  });
  mock.timers.tick(10);
  await running;
  await periodic.stop();
  assert.deepEqual(errors, []);
  const runs = await registry.getSingleMetric('souk_periodic_runs_total')!.get();
  assert.deepEqual(
    runs.values.map((v) => [v.labels.task, v.labels.outcome, v.value]),
    [['batches', 'interrupted', 1]],
  );
});

it('runNow() starts a run at once when idle; runWithin() brings the next tick forward, never back', async () => {
  const { starts, run } = recorder();
  const periodic: Periodic = startPeriodic({ name: 'sweep', intervalMs: 1_000, run, log: silentLog().log });
  try {
    mock.timers.tick(200);
    periodic.runNow();
    mock.timers.tick(0);
    await settle();
    assert.deepEqual(starts, [200]);
    periodic.runWithin(300);
    periodic.runWithin(5_000);
    mock.timers.tick(299);
    assert.deepEqual(starts, [200]);
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(starts, [200, 500]);
    mock.timers.tick(1_000);
    assert.deepEqual(starts, [200, 500, 1_500]);
  } finally {
    await periodic.stop();
  }
});

it('two tasks share the metrics of one registry', async () => {
  const registry = new Registry();
  const a = startPeriodic({ name: 'a', intervalMs: 10, run: () => {}, log: silentLog().log, metrics: registry });
  const b = startPeriodic({ name: 'b', intervalMs: 10, run: () => {}, log: silentLog().log, metrics: registry });
  mock.timers.tick(10);
  await settle();
  await Promise.all([a.stop(), b.stop()]);
  const runs = await registry.getSingleMetric('souk_periodic_runs_total')!.get();
  assert.deepEqual(runs.values.map((v) => v.labels.task).sort(), ['a', 'b']);
});

it('its timers do not keep a process alive', () => {
  mock.timers.reset();
  // A process whose only work left is a tick an hour away ends at once.
  const code = `import { startPeriodic } from ${JSON.stringify(new URL('./periodic.ts', import.meta.url).href)};
    startPeriodic({ name: 'idle', intervalMs: 3_600_000, run: () => {}, log: console });`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    timeout: 30_000,
    encoding: 'utf8',
  });
  assert.equal(child.error, undefined, `the process did not end by itself: ${String(child.error)}`);
  assert.equal(child.status, 0, child.stderr);
});

it('refuses an interval setTimeout would not honour', () => {
  for (const intervalMs of [-1, 1.5, 2 ** 31, Number.NaN])
    assert.throws(() => startPeriodic({ name: 'typo', intervalMs, run: () => {}, log: silentLog().log }), RangeError);
});
