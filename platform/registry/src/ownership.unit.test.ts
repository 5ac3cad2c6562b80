// Who may write an entry: the caller's certificate names the service and the instance id, and an id
// registered by one service is not taken by another's certificate, whatever its CN.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spiffeId, type PeerIdentity } from '@souk/chassis';
import { checkOwnership } from './ownership.ts';

const caller = (service: string, instanceId: string | undefined): PeerIdentity => ({
  spiffeId: spiffeId(service),
  service,
  instanceId,
  serial: '01',
});

const refusedWith = (code: string) => (err: unknown) => {
  assert.equal((err as { code?: string }).code, code);
  assert.equal((err as { status?: number }).status, 403);
  return true;
};

test('an instance may write its own entry, new or registered', () => {
  checkOwnership(caller('catalog', 'catalog-1'), { service: 'catalog', instanceId: 'catalog-1' }, undefined);
  checkOwnership(caller('catalog', 'catalog-1'), { service: 'catalog', instanceId: 'catalog-1' }, 'catalog');
  checkOwnership(caller('catalog', 'catalog-1'), { instanceId: 'catalog-1' }, 'catalog');
  checkOwnership(caller('catalog', 'catalog-1'), { instanceId: 'catalog-1' }, undefined);
});

test('another service, another instance id, no CN or no certificate: SOUK_REGISTRY_NOT_YOUR_INSTANCE', () => {
  const notYours = refusedWith('SOUK_REGISTRY_NOT_YOUR_INSTANCE');
  assert.throws(
    () => checkOwnership(caller('cart', 'cart-1'), { service: 'catalog', instanceId: 'cart-1' }, undefined),
    notYours,
  );
  assert.throws(() => checkOwnership(caller('cart', 'cart-1'), { service: 'cart', instanceId: 'cart-2' }, undefined), notYours);
  assert.throws(() => checkOwnership(caller('cart', 'cart-1'), { instanceId: 'catalog-1' }, 'catalog'), notYours);
  assert.throws(() => checkOwnership(caller('cart', undefined), { service: 'cart', instanceId: 'cart-1' }, undefined), notYours);
  assert.throws(() => checkOwnership(undefined, { instanceId: 'cart-1' }, 'cart'), notYours);
});

test('an id registered by another service is not taken by a certificate with that CN: SOUK_REGISTRY_INSTANCE_TAKEN', () => {
  const taken = refusedWith('SOUK_REGISTRY_INSTANCE_TAKEN');
  const lookalike = caller('recommendations', 'identity-1');
  assert.throws(() => checkOwnership(lookalike, { service: 'recommendations', instanceId: 'identity-1' }, 'identity'), taken);
  assert.throws(() => checkOwnership(lookalike, { instanceId: 'identity-1' }, 'identity'), taken);
});
