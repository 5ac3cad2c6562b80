// Discovery's attacks against one running devhost (the tests are in registry.ts, for the shared security suite).

import { after, before } from 'node:test';
import { startDevhost, type Devhost } from '../system/devhost-harness.ts';
import { registryAttacks } from './registry.ts';

let devhost: Devhost;

before(async () => {
  devhost = await startDevhost();
});

after(async () => {
  await devhost?.stop();
});

registryAttacks(() => devhost);
