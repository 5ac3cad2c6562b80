import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventFaultsFor, faultable, faultsFor } from './faults.ts';

const stable = { release: 'stable', instanceId: 'catalog-1' };
const canary = { release: 'canary', instanceId: 'catalog-canary' };

test('faults apply to the releases or instances named, or to every instance', () => {
  assert.deepEqual(faultsFor({ errorRate: 0.3 }, stable), { errorRate: 0.3, delayMs: 0, paths: undefined });
  assert.deepEqual(faultsFor({ errorRate: 0.3, releases: ['canary'] }, canary), { errorRate: 0.3, delayMs: 0, paths: undefined });
  assert.equal(faultsFor({ errorRate: 0.3, releases: ['canary'] }, stable), undefined);
  assert.equal(faultsFor({ errorRate: 0.3, instances: ['catalog-2'] }, stable), undefined);
  assert.deepEqual(faultsFor({ delayMs: 200, instances: ['catalog-1'], paths: ['/api/v1/x'] }, stable), {
    errorRate: 0,
    delayMs: 200,
    paths: ['/api/v1/x'],
  });
});

test('no setting, or one of zeros, injects nothing', () => {
  assert.equal(faultsFor(undefined, stable), undefined);
  assert.equal(faultsFor({}, stable), undefined);
  assert.equal(faultsFor({ errorRate: 0, delayMs: 0 }, stable), undefined);
});

test('only the public API takes faults, or the paths named', () => {
  assert.equal(faultable('/api/v1/catalog/products'), true);
  for (const url of ['/health/ready', '/metrics', '/_events?after=0', '/_admin/config', '/openapi.json'])
    assert.equal(faultable(url), false, url);
  const paths = ['/api/v1/recommendations/bestsellers'];
  assert.equal(faultable('/api/v1/recommendations/bestsellers?limit=3', paths), true);
  assert.equal(faultable('/api/v1/recommendations/related?productId=x', paths), false);
});

test('failing event types apply to the releases or instances named, or to every instance; none without a list', () => {
  assert.deepEqual(eventFaultsFor({ events: ['souk.orders.OrderConfirmed'] }, stable), new Set(['souk.orders.OrderConfirmed']));
  assert.equal(eventFaultsFor({ events: ['souk.orders.OrderConfirmed'], releases: ['canary'] }, stable), undefined);
  assert.equal(eventFaultsFor({ events: ['souk.orders.OrderConfirmed'], instances: ['catalog-2'] }, stable), undefined);
  assert.equal(eventFaultsFor({ events: [] }, stable), undefined);
  assert.equal(eventFaultsFor({ errorRate: 1 }, stable), undefined);
  assert.equal(faultsFor({ events: ['souk.orders.OrderConfirmed'] }, stable), undefined, 'no request fault from an event list');
});
