// Stopping by escalating signals (shared by the supervisor and PostgreSQL), with a scripted process
// instead of a real one, and the deadline race underneath it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settlesWithin, stopWithSignals, type SignalStep } from './wait.ts';

const steps: SignalStep[] = [
  { signal: 'SIGINT', waitMs: 20_000 },
  { signal: 'SIGQUIT', waitMs: 5_000 },
  { signal: 'SIGKILL', waitMs: 5_000 },
];

/** A process that exits on the first signal in `diesOn`; records what it was sent and how long each wait was. */
function scripted(diesOn: readonly NodeJS.Signals[]) {
  const sent: NodeJS.Signals[] = [];
  const waits: number[] = [];
  const escalations: string[] = [];
  return {
    sent,
    waits,
    escalations,
    options: {
      steps,
      send: (signal: NodeJS.Signals) => sent.push(signal),
      exitedWithin: async (ms: number) => {
        waits.push(ms);
        return diesOn.includes(sent.at(-1)!);
      },
      escalating: (from: SignalStep, to: SignalStep) => escalations.push(`${from.signal}->${to.signal}`),
    },
  };
}

test('a process that obeys the first signal gets no other', async () => {
  const p = scripted(['SIGINT']);
  assert.equal(await stopWithSignals(p.options), true);
  assert.deepEqual(p.sent, ['SIGINT']);
  assert.deepEqual(p.waits, [20_000]);
  assert.deepEqual(p.escalations, []);
});

test('each step waits its own deadline before the next signal', async () => {
  const p = scripted(['SIGKILL']);
  assert.equal(await stopWithSignals(p.options), true);
  assert.deepEqual(p.sent, ['SIGINT', 'SIGQUIT', 'SIGKILL']);
  assert.deepEqual(p.waits, [20_000, 5_000, 5_000]);
  assert.deepEqual(p.escalations, ['SIGINT->SIGQUIT', 'SIGQUIT->SIGKILL']);
});

test('false when the process outlives every step', async () => {
  const p = scripted([]);
  assert.equal(await stopWithSignals(p.options), false);
  assert.equal(p.sent.length, 3);
});

test('settlesWithin: true when the promise settles first (even by rejecting), false at the deadline', async () => {
  assert.equal(await settlesWithin(Promise.resolve(), 1_000), true);
  assert.equal(await settlesWithin(Promise.reject(new Error('x')), 1_000), true);
  assert.equal(await settlesWithin(new Promise(() => {}), 10), false);
  assert.equal(await settlesWithin(new Promise((r) => setTimeout(r, 10)), Infinity), true);
});
