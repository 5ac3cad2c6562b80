import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReleaseController, type ReleaseChange } from './controller.ts';
import type { ReleasesSetting } from './policy.ts';
import { testInstance as instance } from '@souk/chassis/testing';

const listed = [instance('s1'), instance('c1', 'canary')];
const silent = { info() {}, warn() {}, error() {} };

function setup(releases: ReleasesSetting) {
  let now = 0;
  const written: ReleaseChange[] = [];
  const controller = createReleaseController({
    now: () => now,
    log: silent,
    write: async (change) => void written.push(change),
  });
  controller.configure(releases);
  return { controller, written, advance: (ms: number) => (now += ms) };
}

const analysed: ReleasesSetting = {
  catalog: { canary: { weight: 50, analysis: { windowSeconds: 10, minRequests: 20, stepWeight: 25 } } },
};

test('a failing canary is rolled back here at once and the change is written with its reason', () => {
  const { controller, written } = setup(analysed);
  assert.equal(controller.analysed('catalog'), true);
  for (let i = 0; i < 30; i++) controller.observe('catalog', 'canary', i % 3 === 0, 5);
  for (let i = 0; i < 30; i++) controller.observe('catalog', 'stable', false, 5);
  controller.tick();
  assert.equal(written.length, 1);
  assert.equal(written[0]!.next?.canary?.weight, 0);
  assert.equal(written[0]!.from, JSON.stringify(analysed.catalog));
  assert.match(written[0]!.reason, /catalog canary rolled back \(weight 50 → 0\): error rate 33.3% against 0%/);
  // In force before the config server confirms: every user on the stable side, no more analysis.
  assert.ok(['user a', 'user b', 'user c', 'user d'].every((u) => controller.route('catalog', listed, u)!.release === 'stable'));
  assert.equal(controller.analysed('catalog'), false);
  assert.match(controller.view()[0]!.pendingChange ?? '', /rolled back/);
  // The config server's version with weight 0 arrives: the decision is now the setting.
  controller.configure({ catalog: written[0]!.next });
  assert.equal(controller.view()[0]!.pendingChange, undefined);
});

test('a healthy window steps the weight up; the last step promotes the canary to the active release', () => {
  const { controller, written, advance } = setup(analysed);
  for (let i = 0; i < 25; i++) controller.observe('catalog', 'canary', false, 5);
  controller.tick();
  assert.equal(written.length, 0, 'judged healthy only when the window closes');
  advance(10_000);
  controller.tick();
  assert.equal(written[0]!.next?.canary?.weight, 75);
  controller.configure({ catalog: written[0]!.next });
  for (let i = 0; i < 25; i++) controller.observe('catalog', 'canary', false, 5);
  advance(10_000);
  controller.tick();
  assert.deepEqual(written[1]!.next, { active: 'canary' });
  assert.match(written[1]!.reason, /promoted/);
  assert.equal(controller.route('catalog', listed, 'user a')!.release, 'canary');
});

test('an admin change made meanwhile replaces the analysis’s decision', () => {
  const { controller, written } = setup(analysed);
  for (let i = 0; i < 30; i++) controller.observe('catalog', 'canary', true, 5);
  controller.tick();
  assert.equal(written.length, 1);
  controller.configure({ catalog: { canary: { weight: 10 } } });
  assert.equal(controller.view()[0]!.plan.canary?.weight, 10);
  assert.equal(controller.view()[0]!.pendingChange, undefined);
});

test('without analysis nothing is measured and the weight stays', () => {
  const { controller, written, advance } = setup({ catalog: { canary: { weight: 50 } } });
  assert.equal(controller.analysed('catalog'), false);
  controller.observe('catalog', 'canary', true, 5);
  advance(60_000);
  controller.tick();
  assert.equal(written.length, 0);
  assert.equal(controller.route('search', listed, 'user a'), undefined, 'a service without a plan is not routed here');
});
