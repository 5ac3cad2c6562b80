// Tokens presented straight to service instances, and who may call the admin listener,
// against one running devhost (tests in ./tokens.ts).

import { after, before } from 'node:test';
import { startDevhost, type Devhost } from '../system/devhost-harness.ts';
import { tokenAttacks } from './tokens.ts';

let devhost: Devhost;

before(async () => {
  devhost = await startDevhost();
});

after(async () => {
  await devhost?.stop();
});

tokenAttacks(() => devhost);
