// The writer against a config server held in memory: what it writes, when it drops a decision, and how
// it recovers from losing a write to another gateway (409), in the base document and in an environment's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch, defineErrors, type ServiceRequest } from '@souk/chassis';
import { createConfigWriter } from './config-writer.ts';
import type { ReleaseChange } from './controller.ts';

const conflict = defineErrors({
  versionConflict: { code: 'SOUK_CONFIG_VERSION_CONFLICT', status: 409, title: 'changed', description: 'test' },
}).versionConflict;

/** The gateway's documents at a config server: the base and one environment's, each with its version. */
function configServer(base: object, staging: object = {}) {
  const docs = { base: { version: 1, settings: base }, staging: { version: 0, settings: staging } };
  const puts: { environment: string | undefined; body: { settings: object; reason: string; basedOn: number } }[] = [];
  /** Runs before a PUT is taken: another writer's change, say. */
  let beforePut: (() => void) | undefined;
  const view = (environment: string | undefined) =>
    environment === undefined
      ? docs.base
      : {
          version: docs.base.version + docs.staging.version,
          settings: applyMergePatch(docs.base.settings, docs.staging.settings) as object,
        };
  const client = {
    async request<T>(req: ServiceRequest<T>) {
      const environment = (req.query as { environment?: string } | undefined)?.environment;
      if (req.method === 'GET') {
        const body = req.path.endsWith('/environments/staging') ? docs.staging : view(environment);
        return { status: 200, headers: {}, body: { service: 'gateway', ...body } as T };
      }
      const run = beforePut;
      beforePut = undefined;
      run?.();
      const body = req.body as (typeof puts)[number]['body'];
      if (body.basedOn !== view(environment).version) throw conflict(`not version ${body.basedOn}`);
      puts.push({ environment, body });
      const doc = environment === undefined ? docs.base : docs.staging;
      doc.version++;
      doc.settings = body.settings;
      return { status: 200, headers: {}, body: { service: 'gateway', ...view(environment) } as unknown as T };
    },
  };
  return { docs, puts, client, view, interfere: (fn: () => void) => (beforePut = fn) };
}

const log = { info() {} };
const canaryAt50 = { canary: { weight: 50, analysis: { minRequests: 20 } } };
const rollback = (from: unknown): ReleaseChange => ({
  service: 'catalog',
  from: JSON.stringify(from),
  next: { canary: { weight: 0, analysis: { minRequests: 20 } } },
  reason: 'catalog canary rolled back',
});

test('in the base: the service’s setting replaced, on top of the version read, with the reason', async () => {
  const server = configServer({ logLevel: 'info', releases: { catalog: canaryAt50, cart: { active: 'green' } } });
  const write = createConfigWriter({ client: server.client, environment: undefined, instanceId: 'gateway-1', log });
  assert.equal(await write(rollback(canaryAt50)), 'written');
  assert.equal(server.puts.length, 1);
  assert.deepEqual(server.puts[0]!.body.settings, {
    logLevel: 'info',
    releases: { catalog: { canary: { weight: 0, analysis: { minRequests: 20 } } }, cart: { active: 'green' } },
  });
  assert.equal(server.puts[0]!.body.basedOn, 1);
  assert.equal(server.puts[0]!.body.reason, 'canary analysis (gateway-1): catalog canary rolled back');
});

test('the setting changed since the analysis decided: the decision is dropped, nothing written', async () => {
  const server = configServer({ releases: { catalog: { canary: { weight: 10 } } } });
  const write = createConfigWriter({ client: server.client, environment: undefined, instanceId: 'gateway-1', log });
  assert.equal(await write(rollback(canaryAt50)), 'dropped');
  assert.equal(server.puts.length, 0);
});

test('losing the write to another gateway (409): read again; their rollback stands and ours is dropped', async () => {
  const server = configServer({ releases: { catalog: canaryAt50 } });
  server.interfere(() => {
    server.docs.base = { version: 2, settings: { releases: { catalog: { canary: { weight: 0 } } } } };
  });
  const write = createConfigWriter({ client: server.client, environment: undefined, instanceId: 'gateway-2', log });
  assert.equal(await write(rollback(canaryAt50)), 'dropped');
  assert.equal(server.puts.length, 0);
});

test('losing the write to an unrelated change (409): read again and write on top of it', async () => {
  const server = configServer({ releases: { catalog: canaryAt50 } });
  server.interfere(() => {
    server.docs.base = { version: 2, settings: { logLevel: 'debug', releases: { catalog: canaryAt50 } } };
  });
  const write = createConfigWriter({ client: server.client, environment: undefined, instanceId: 'gateway-1', log });
  assert.equal(await write(rollback(canaryAt50)), 'written');
  assert.equal(server.puts[0]!.body.basedOn, 2);
  assert.equal((server.puts[0]!.body.settings as { logLevel: string }).logLevel, 'debug', 'the other change is kept');
});

test("in an environment: the decision goes into its document as a patch over the base's setting", async () => {
  const server = configServer({ releases: { catalog: canaryAt50 } }, { logLevel: 'warn' });
  const write = createConfigWriter({ client: server.client, environment: 'staging', instanceId: 'gateway-1', log });
  assert.equal(await write(rollback(canaryAt50)), 'written');
  assert.equal(server.puts[0]!.environment, 'staging');
  assert.deepEqual(server.puts[0]!.body.settings, { logLevel: 'warn', releases: { catalog: { canary: { weight: 0 } } } });
  assert.equal(server.puts[0]!.body.basedOn, 1, 'the version a read in staging showed (base 1 + staging 0)');
  assert.deepEqual((server.view('staging').settings as { releases: unknown }).releases, {
    catalog: { canary: { weight: 0, analysis: { minRequests: 20 } } },
  });
  assert.equal(server.docs.base.version, 1, 'the base is untouched');
});
