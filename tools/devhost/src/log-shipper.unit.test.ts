import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogShipper, MAX_BUFFERED, SHIP_BATCH, streamsOf } from './log-shipper.ts';

/** A post that answers each call with the next status of `statuses` (then 202), recording what it got. */
function recorder(statuses: number[] = []) {
  const bodies: { streams: { service: string; instance: string; lines: string[] }[] }[] = [];
  let waiting: (() => void) | undefined;
  return {
    bodies,
    lines: () => bodies.flatMap((b) => b.streams.flatMap((s) => s.lines)),
    next: () => new Promise<void>((resolve) => (waiting = resolve)),
    post: async (body: string) => {
      bodies.push(JSON.parse(body) as (typeof bodies)[number]);
      const status = statuses.shift() ?? 202;
      queueMicrotask(() => waiting?.());
      return status;
    },
  };
}

test('lines are grouped by instance, in their order', () => {
  assert.deepEqual(
    streamsOf([
      { service: 'orders', instance: 'orders-1', line: 'a' },
      { service: 'cart', instance: 'cart-1', line: 'b' },
      { service: 'orders', instance: 'orders-1', line: 'c' },
    ]),
    [
      { service: 'orders', instance: 'orders-1', lines: ['a', 'c'] },
      { service: 'cart', instance: 'cart-1', lines: ['b'] },
    ],
  );
});

test('a full batch goes at once; close sends the rest', async () => {
  const sink = recorder();
  const shipper = createLogShipper({ url: 'http://unused', warn: () => undefined, post: sink.post });
  const posted = sink.next();
  for (let i = 0; i < SHIP_BATCH; i++) shipper.add('orders', 'orders-1', `line ${i}`);
  await posted;
  assert.equal(sink.lines().length, SHIP_BATCH);
  shipper.add('cart', 'cart-1', 'last');
  await shipper.close();
  assert.deepEqual(sink.lines().at(-1), 'last');
  assert.equal(shipper.dropped(), 0);
});

test('while telemetry is unreachable lines wait, the oldest dropped past the bound; nothing is lost below it', async () => {
  const warnings: string[] = [];
  const sink = recorder([0]);
  const shipper = createLogShipper({ url: 'http://unused', warn: (m) => warnings.push(m), post: sink.post });
  const failed = sink.next();
  for (let i = 0; i < SHIP_BATCH; i++) shipper.add('orders', 'orders-1', `a${i}`);
  await failed;
  await new Promise((resolve) => setImmediate(resolve)); // the failure handled: its batch is back in front
  for (let i = 0; i < MAX_BUFFERED; i++) shipper.add('orders', 'orders-1', `b${i}`);
  assert.equal(shipper.dropped(), SHIP_BATCH);
  assert.match(warnings.join('\n'), /dropping the oldest/);
  const retried = sink.next();
  await retried;
  await shipper.close();
  const shipped = sink.lines().slice(SHIP_BATCH); // after the failed first post
  assert.equal(shipped[0], 'b0');
  assert.equal(shipped.at(-1), `b${MAX_BUFFERED - 1}`);
});

test('a batch refused for good (4xx) is not sent again', async () => {
  const warnings: string[] = [];
  const sink = recorder([403]);
  const shipper = createLogShipper({ url: 'http://unused', warn: (m) => warnings.push(m), post: sink.post });
  shipper.add('orders', 'orders-1', 'x');
  await shipper.close();
  assert.equal(sink.bodies.length, 1);
  assert.match(warnings[0] ?? '', /refused 1 log lines \(HTTP 403\)/);
});
