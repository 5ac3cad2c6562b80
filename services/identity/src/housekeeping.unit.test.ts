// Unit tests of identity's housekeeping on fake timers: every task runs each
// tick even when one fails, and stop() waits for the run in progress, so the
// service never closes its pool under a prune.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, it, mock } from 'node:test';
import { startHousekeeping } from './housekeeping.ts';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
afterEach(() => mock.timers.reset());

function fakeLog() {
  const lines: Array<{ level: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (fields: Record<string, unknown>) => void lines.push({ level, fields });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } as never };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

it('runs every task each interval; a failing one is logged and the next still runs', async () => {
  const { lines, log } = fakeLog();
  const ran: string[] = [];
  const housekeeping = startHousekeeping(
    [
      { name: 'tokens', run: () => (ran.push('tokens'), Promise.reject(new Error('pool gone'))) },
      { name: 'failures', run: (now) => (ran.push(`failures@${now}`), Promise.resolve(3)) },
    ],
    { now: () => Date.now(), log, schedule: { intervalMs: 1_000 } },
  );
  try {
    mock.timers.tick(1_000);
    await settle();
    mock.timers.tick(1_000);
    await settle();
    assert.deepEqual(ran, ['tokens', 'failures@1000', 'tokens', 'failures@2000']);
    assert.deepEqual(
      lines.map((l) => [l.level, l.fields.task, l.fields.removed]),
      [
        ['warn', 'tokens', undefined],
        ['info', 'failures', 3],
        ['warn', 'tokens', undefined],
        ['info', 'failures', 3],
      ],
    );
  } finally {
    await housekeeping.stop();
  }
});

it('stop() waits for the task in progress and runs none after it', async () => {
  let finish!: () => void;
  const ran: string[] = [];
  const housekeeping = startHousekeeping(
    [
      {
        name: 'tokens',
        run: () => (ran.push('tokens'), new Promise<number>((resolve) => (finish = () => resolve(0)))),
      },
      { name: 'failures', run: () => (ran.push('failures'), Promise.resolve(0)) },
    ],
    { now: () => Date.now(), log: fakeLog().log, schedule: { intervalMs: 1_000 } },
  );
  mock.timers.tick(1_000);
  assert.deepEqual(ran, ['tokens']);
  let stopped = false;
  const stopping = housekeeping.stop().then(() => (stopped = true));
  await settle();
  assert.equal(stopped, false, 'stop() resolved while a prune was still running');
  finish();
  await stopping;
  mock.timers.tick(10_000);
  await settle();
  assert.deepEqual(ran, ['tokens'], 'a task ran after stop()');
});
