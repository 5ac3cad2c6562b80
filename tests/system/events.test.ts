// Events in the running system (issue 3), driven like a user would: `npm
// start`'s devhost with two notifications instances sharing the work. Sign-up
// → UserRegistered → a welcome message readable through the gateway; event
// schemas registered in the schema registry at start and named in each
// event's `dataschema`; the producer's trace carried by the event; the
// operator's dead-letter command against the live system.

import { readClientSecret } from '../../tools/devhost/src/secrets.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { waitFor } from '@souk/chassis/testing';
import { runEventsCli } from '../../tools/devhost/src/events-cli.ts';
import { startDevhost, type Devhost } from './devhost-harness.ts';

let devhost: Devhost;
let services: Record<string, string[]>;
const PASSWORD = 'Correct-Horse-Battery-9';

before(async () => {
  // Without telemetry (--no-telemetry): nothing here reads it, and on two cores its scrapes and exports
  // would take CPU from what is tested; telemetry.test.ts and the newcomer's walking skeleton run with it.
  devhost = await startDevhost(['--scale', 'notifications=2', '--no-telemetry']);
  services = (
    JSON.parse(await readFile(join(devhost.dataDir, 'endpoints.json'), 'utf8')) as { services: Record<string, string[]> }
  ).services;
});
after(async () => {
  await devhost?.stop();
});

/** Through the gateway or straight to an instance (with the devhost's client certificate: instances take mTLS callers only). */
async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await devhost.fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function login(username: string, password: string): Promise<string> {
  const config = await oidc.discovery(new URL(devhost.gateway), 'storefront', undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  return (await oidc.genericGrantRequest(config, 'password', { username, password })).access_token;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const SR = 'application/vnd.schemaregistry.v1+json';

describe('events through the running system', () => {
  test('the producers registered their event schemas with the schema registry at start', async () => {
    const registry = services['schema-registry']![0]!;
    const subjects = await json(`${registry}/subjects`, { headers: { accept: SR } });
    assert.equal(subjects.status, 200);
    for (const subject of ['souk.identity.UserRegistered', 'souk.catalog.ProductCreated', 'souk.catalog.PriceChanged']) {
      assert.ok(subjects.body.includes(subject), `${subject} in ${JSON.stringify(subjects.body)}`);
    }
    const latest = await json(`${registry}/subjects/souk.catalog.PriceChanged/versions/latest`);
    assert.equal(latest.body.schemaType, 'JSON');
    assert.ok(JSON.parse(latest.body.schema).properties.reason, 'PriceChanged v2 has the optional reason');
  });

  test('sign-up through the gateway leads to a welcome message, once, for that user only', async () => {
    const signUp = async (name: string) => {
      const email = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`;
      const signup = await json(`${devhost.gateway}/api/v1/identity/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD, name }),
      });
      assert.equal(signup.status, 202);
      return login(email, PASSWORD);
    };
    const inboxOf = (token: string) =>
      waitFor(
        async () => {
          const res = await json(`${devhost.gateway}/api/v1/notifications`, { headers: bearer(token) });
          return res.status === 200 && res.body.items.length > 0 ? res.body.items : undefined;
        },
        { timeoutMs: 20_000, what: 'the welcome message' },
      );
    const token = await signUp('Nour');
    assert.equal((await json(`${devhost.gateway}/api/v1/notifications`)).status, 401);
    const [welcome] = await inboxOf(token);
    // A second sign-up behind the first on identity's feed: once its welcome is there, a second welcome for Nour,
    // or Sami's in Nour's inbox, would be too.
    const [samis] = await inboxOf(await signUp('Sami'));
    assert.match(`${samis.title} ${samis.body}`, /Sami/);
    const inbox = await inboxOf(token);
    assert.deepEqual(
      inbox.map((n: { id: string }) => n.id),
      [welcome.id],
      'one welcome, and only her own',
    );
    assert.equal(inbox[0].kind, 'welcome');
    assert.match(`${inbox[0].title} ${inbox[0].body}`, /Nour|welcome/i);
    const read = await json(`${devhost.gateway}/api/v1/notifications/${inbox[0].id}/read`, {
      method: 'POST',
      headers: bearer(token),
    });
    assert.equal(read.status, 200);
    assert.ok(read.body.readAt);
  });

  test("a price change is in catalog's feed as a CloudEvent naming its schema id and carrying the request's trace", async () => {
    const admin = await login('admin@souk.local', await devhost.secret('admin-password'));
    const list = await json(`${devhost.gateway}/api/v1/catalog/products?limit=1`);
    const product = list.body.items[0];
    const traceId = randomUUID().replace(/-/g, '');
    const patched = await json(`${devhost.gateway}/api/v1/catalog/products/${product.id}`, {
      method: 'PATCH',
      headers: { ...bearer(admin), 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ priceCents: product.priceCents + 100, priceChangeReason: 'system test' }),
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const catalog = services.catalog![0]!;
    // The feed serves consumers granted events:read:catalog only: read it as cart's client, which is one.
    const cartClient = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'svc-cart',
      client_secret: await readClientSecret(join(devhost.dataDir, 'secrets'), 'svc-cart'),
    });
    const feedToken = (
      await json(`${devhost.gateway}/api/v1/identity/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: cartClient.toString(),
      })
    ).body.access_token as string;
    const event = await waitFor(
      async () => {
        const page = await json(`${catalog}/_events?after=0&types=souk.catalog.PriceChanged&limit=1000`, {
          headers: bearer(feedToken),
        });
        return page.body.events.find((e: any) => e.subject === product.id && e.data.reason === 'system test');
      },
      { what: 'PriceChanged in the feed' },
    );
    assert.equal(event.specversion, '1.0');
    assert.equal(event.source, 'urn:souk:service:catalog');
    assert.deepEqual(
      { old: event.data.oldPriceCents, new: event.data.newPriceCents },
      { old: product.priceCents, new: product.priceCents + 100 },
    );
    assert.match(event.traceparent, new RegExp(`^00-${traceId}-`));
    const registry = services['schema-registry']![0]!;
    const schemaId = Number(/ids:(\d+)$/.exec(event.dataschema)![1]);
    const byId = await json(`${registry}/schemas/ids/${schemaId}`);
    const latest = await json(`${registry}/subjects/souk.catalog.PriceChanged/versions/latest`);
    assert.equal(byId.body.schema, latest.body.schema, 'dataschema names the schema the producer registered');
  });

  test("the operator's dead-letter command reads every service of the live system", async () => {
    const lines: string[] = [];
    const code = await runEventsCli(['dead-letters', '--data-dir', devhost.dataDir], process.cwd(), (l) => lines.push(l));
    assert.equal(code, 0, lines.join('\n'));
    assert.deepEqual(lines, ['no dead letters']);
    const status: string[] = [];
    assert.equal(await runEventsCli(['status', '--data-dir', devhost.dataDir], process.cwd(), (l) => status.push(l)), 0);
    const text = status.join('\n');
    assert.match(text, /^identity \(feed\)\n {2}publishes souk\.identity\.UserRegistered \(schema id \d+\)/m);
    assert.match(
      text,
      /^notifications \(feed\)\n {2}consumes souk\.identity\.UserRegistered\n( {2}consumes .*\n)*( {2}read .*\n)* {2}read identity's feed up to [1-9]/m,
    );
    const missing: string[] = [];
    assert.equal(
      await runEventsCli(['show', 'notifications', '12345', '--data-dir', devhost.dataDir], process.cwd(), (l) =>
        missing.push(l),
      ),
      1,
    );
    assert.match(missing.join('\n'), /SOUK_EVENTS_DEAD_LETTER_NOT_FOUND/);
  });
});
