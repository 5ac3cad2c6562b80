// Breaker state machine per instance, driven by a fake clock: closed → open →
// half-open → closed, half-open → open, and what counts as a failure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBrokenCircuitError } from 'cockatiel';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { chassisErrors, SoukError } from '../errors/index.ts';
import { createBreakers, REFUSED_OPEN_MS, RETIRED_KEEP_MS } from './breakers.ts';

function setup(options: { halfOpenAfterMs?: number } = {}) {
  const clock = {
    t: 1_700_000_000_000,
    now() {
      return this.t;
    },
  };
  const lines: Array<{ level: number; msg: string; to?: string }> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const metrics = new Registry();
  const breakers = createBreakers({ log, metrics, clock, failureThreshold: 3, halfOpenAfterMs: options.halfOpenAfterMs ?? 1000 });
  const target = { service: 'catalog', instanceId: 'c1', url: 'http://c1' };
  const fail = () =>
    breakers.execute(target, async () => {
      throw chassisErrors.connectionFailed();
    });
  const succeed = () => breakers.execute(target, async () => 'ok');
  return { clock, lines, metrics, breakers, target, fail, succeed };
}

async function metricValue(metrics: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const data = await metrics.getSingleMetric(name)!.get();
  return data.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
}

test('closed → open after the threshold of consecutive failures; open refuses calls', async () => {
  const { breakers, fail, succeed, lines, metrics } = setup();
  for (let i = 0; i < 2; i++) await assert.rejects(fail(), { code: 'SOUK_CLIENT_CONNECTION_FAILED' });
  assert.equal(breakers.state('catalog', 'c1'), 'closed');
  await assert.rejects(fail());
  assert.equal(breakers.state('catalog', 'c1'), 'open');
  assert.equal(breakers.isOpen('catalog', 'c1'), true);
  assert.equal(breakers.accepts('catalog', 'c1'), false);
  await assert.rejects(succeed(), (err) => isBrokenCircuitError(err));

  const warn = lines.find((l) => l.level === 40);
  assert.match(warn!.msg, /circuit to catalog \(c1\) opened/);
  assert.equal(await metricValue(metrics, 'souk_client_circuit_state', { instance: 'c1' }), 2);
  assert.equal(await metricValue(metrics, 'souk_client_circuit_transitions_total', { instance: 'c1', to: 'open' }), 1);
});

test('open → half-open when due, and a successful probe closes it', async () => {
  const { breakers, fail, target, clock, lines, metrics } = setup();
  for (let i = 0; i < 3; i++) await assert.rejects(fail());
  clock.t += 999;
  assert.equal(breakers.isOpen('catalog', 'c1'), true);
  clock.t += 1;
  assert.equal(breakers.isOpen('catalog', 'c1'), false, 'due for a probe');
  assert.equal(breakers.accepts('catalog', 'c1'), true);

  let release!: (v: string) => void;
  const probe = breakers.execute(target, () => new Promise<string>((resolve) => (release = resolve)));
  assert.equal(breakers.state('catalog', 'c1'), 'half-open');
  assert.equal(breakers.accepts('catalog', 'c1'), false, 'other calls go elsewhere while the probe runs');
  assert.equal(await metricValue(metrics, 'souk_client_circuit_state', { instance: 'c1' }), 1);
  release('fine');
  assert.equal(await probe, 'fine');

  assert.equal(breakers.state('catalog', 'c1'), 'closed');
  assert.equal(breakers.snapshot()[0]!.failures, 0);
  assert.equal(await metricValue(metrics, 'souk_client_circuit_state', { instance: 'c1' }), 0);
  for (const to of ['open', 'half-open', 'closed']) {
    assert.equal(await metricValue(metrics, 'souk_client_circuit_transitions_total', { instance: 'c1', to }), 1, to);
  }
  const infos = lines.filter((l) => l.level === 30).map((l) => l.msg);
  assert.ok(infos.some((m) => /half-open/.test(m)));
  assert.ok(infos.some((m) => /closed again/.test(m)));
});

test('a failed probe opens the breaker again, for another full wait', async () => {
  const { breakers, fail, clock } = setup();
  for (let i = 0; i < 3; i++) await assert.rejects(fail());
  clock.t += 1000;
  await assert.rejects(fail(), { code: 'SOUK_CLIENT_CONNECTION_FAILED' });
  assert.equal(breakers.state('catalog', 'c1'), 'open');
  assert.equal(breakers.isOpen('catalog', 'c1'), true);
  assert.equal(breakers.snapshot()[0]!.since, clock.t);
  clock.t += 1000;
  assert.equal(breakers.isOpen('catalog', 'c1'), false);
});

test("an instance's Retry-After shortens the wait before the probe, never lengthens it", async () => {
  const { breakers, target, clock } = setup();
  const restarting = (seconds: string) =>
    breakers.execute(target, async () => {
      throw chassisErrors.databaseUnavailable({ headers: { 'retry-after': seconds } });
    });
  for (let i = 0; i < 3; i++) await assert.rejects(restarting('0'), { code: 'SOUK_DATABASE_UNAVAILABLE' });
  assert.equal(breakers.snapshot()[0]!.openForMs, 0);
  assert.equal(breakers.accepts('catalog', 'c1'), true, 'due for a probe at once');
  await assert.rejects(restarting('60'));
  assert.equal(breakers.state('catalog', 'c1'), 'open');
  assert.equal(breakers.snapshot()[0]!.openForMs, 1000, 'capped at halfOpenAfterMs');
  clock.t += 999;
  assert.equal(breakers.isOpen('catalog', 'c1'), true);
  clock.t += 1;
  assert.equal(breakers.isOpen('catalog', 'c1'), false);
});

test('a refused connection opens the breaker only briefly: nothing listens there yet, and a probe costs little', async () => {
  const { breakers, target, clock } = setup({ halfOpenAfterMs: 10_000 });
  const refused = () =>
    breakers.execute(target, async () => {
      throw chassisErrors.connectionFailed({ cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    });
  for (let i = 0; i < 3; i++) await assert.rejects(refused(), { code: 'SOUK_CLIENT_CONNECTION_FAILED' });
  assert.equal(breakers.state('catalog', 'c1'), 'open');
  assert.equal(breakers.snapshot()[0]!.openForMs, REFUSED_OPEN_MS);
  clock.t += REFUSED_OPEN_MS - 1;
  assert.equal(breakers.isOpen('catalog', 'c1'), true);
  clock.t += 1;
  assert.equal(breakers.accepts('catalog', 'c1'), true, 'due for a probe');
  // Another failure (a reset, a timeout) keeps the full cool-down.
  await assert.rejects(
    breakers.execute(target, async () => {
      throw chassisErrors.connectionFailed({ cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
    }),
  );
  assert.equal(breakers.snapshot()[0]!.openForMs, 10_000);
});

test('live settings change the threshold of existing breakers and the open time of the next opening', async () => {
  const { breakers, fail, clock } = setup();
  await assert.rejects(fail());
  breakers.configure({ failureThreshold: 2, halfOpenAfterMs: 250 });
  await assert.rejects(fail());
  assert.equal(breakers.state('catalog', 'c1'), 'open', 'opened at the second failure');
  assert.equal(breakers.snapshot()[0]!.openForMs, 250);
  clock.t += 250;
  assert.equal(breakers.accepts('catalog', 'c1'), true);
  // Left out: back to what the process started with.
  breakers.configure({});
  assert.equal(breakers.halfOpenAfterMs, 1000);
});

test('4xx souk errors are the caller’s mistake and do not count; a success resets the count', async () => {
  const { breakers, fail, succeed, target } = setup();
  const notFound = new SoukError({ code: 'SOUK_CATALOG_PRODUCT_NOT_FOUND', status: 404, title: 'Product not found' });
  for (let i = 0; i < 10; i++)
    await assert.rejects(
      breakers.execute(target, async () => {
        throw notFound;
      }),
    );
  assert.equal(breakers.state('catalog', 'c1'), 'closed');
  await assert.rejects(fail());
  await assert.rejects(fail());
  await succeed();
  await assert.rejects(fail());
  await assert.rejects(fail());
  assert.equal(breakers.state('catalog', 'c1'), 'closed');
  assert.equal(breakers.snapshot()[0]!.failures, 2);
});

test('breakers are per instance, and the snapshot lists each', async () => {
  const { breakers, fail, clock } = setup();
  for (let i = 0; i < 3; i++) await assert.rejects(fail());
  await breakers.execute({ service: 'catalog', instanceId: 'c2', url: 'http://c2' }, async () => 'ok');
  assert.equal(breakers.accepts('catalog', 'c2'), true);
  assert.equal(breakers.accepts('catalog', 'never-called'), true);
  const snapshot = breakers.snapshot().sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  const opened = { openings: 1, lastOpenedAt: clock.t };
  const never = { openings: 0, lastOpenedAt: null };
  assert.deepEqual(snapshot, [
    {
      service: 'catalog',
      instanceId: 'c1',
      url: 'http://c1',
      state: 'open',
      since: clock.t,
      failures: 3,
      openForMs: 1000,
      ...opened,
    },
    {
      service: 'catalog',
      instanceId: 'c2',
      url: 'http://c2',
      state: 'closed',
      since: clock.t,
      failures: 0,
      openForMs: 1000,
      ...never,
    },
  ]);
});

test('a breaker that opened stays in the snapshot a while after its instance left, one that never did goes at once', async () => {
  const { breakers, fail, clock } = setup();
  for (let i = 0; i < 3; i++) await assert.rejects(fail());
  await breakers.execute({ service: 'catalog', instanceId: 'c2', url: 'http://c2' }, async () => 'ok');
  const openedAt = clock.t;
  clock.t += 5_000;
  breakers.remove('catalog', 'c1');
  breakers.remove('catalog', 'c2');
  assert.deepEqual(breakers.snapshot(), [
    {
      service: 'catalog',
      instanceId: 'c1',
      url: 'http://c1',
      state: 'open',
      since: openedAt,
      failures: 3,
      openForMs: 1000,
      openings: 1,
      lastOpenedAt: openedAt,
      leftAt: clock.t,
    },
  ]);
  assert.equal(breakers.accepts('catalog', 'c1'), true, 'gone: a new instance with that id starts closed');
  clock.t += RETIRED_KEEP_MS;
  assert.deepEqual(breakers.snapshot(), []);
});

test('openings count every time a breaker opens', async () => {
  const { breakers, fail, clock } = setup();
  for (let i = 0; i < 3; i++) await assert.rejects(fail());
  clock.t += 1000;
  await assert.rejects(fail(), 'the probe fails: open again');
  assert.equal(breakers.state('catalog', 'c1'), 'open');
  assert.deepEqual(
    breakers.snapshot().map((b) => [b.openings, b.lastOpenedAt]),
    [[2, clock.t]],
  );
});

test('two Breakers can share one metrics registry', () => {
  const metrics = new Registry();
  const log = pino({ level: 'silent' });
  createBreakers({ log, metrics });
  assert.doesNotThrow(() => createBreakers({ log, metrics }));
});
