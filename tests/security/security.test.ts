// The attacks of issue 11, each shown refused by one running devhost (see run.ts). The order matters where
// an attack leaves a mark: identity's lock-out test slows the admin's sign-ins, so it runs after the areas
// that sign the admin in; the secrets check runs last, over everything the suite logged and traced.

import { after, before, describe } from 'node:test';
import { SecurityRun } from './run.ts';
import { mtlsAttacks } from './mtls.ts';
import { edgeAttacks } from './edge.ts';
import { registryAttacks } from './registry.ts';
import { schemaRegistryAttacks } from './schema-registry.ts';
import { scopeAttacks } from './scopes.ts';
import { tokenAttacks } from './tokens.ts';
import { identityAttacks } from './identity.ts';
import { secretLeaks } from './secrets.ts';

const run = new SecurityRun();
before(() => run.start());
after(() => run.stop());

describe('mutual TLS between instances', () => mtlsAttacks(run));
describe('discovery: the registry and whom consumers trust', () => registryAttacks(run));
describe('the public edge', () => edgeAttacks(run));
describe('the schema registry', () => schemaRegistryAttacks(run));
describe('least privilege', () => scopeAttacks(run));
describe('tokens presented straight to a service, and who may call the admin listener', () => tokenAttacks(run));
describe('identity under attack, through the gateway', () => identityAttacks(run));
describe('secrets', () => secretLeaks(run));
