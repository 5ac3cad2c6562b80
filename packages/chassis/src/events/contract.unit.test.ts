// Event contracts and envelopes: naming, payload checks with field-level
// reasons, CloudEvents attributes, trace context and schema ids.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { Type } from 'typebox';
import { initTracing } from '../tracing.ts';
import { defineEvent, sourceOfType } from './contract.ts';
import { buildEnvelope, dataschemaUri, parseEnvelope, schemaIdOf, traceContextOf } from './envelope.ts';
import { backoffDelay } from '../backoff.ts';
import { redeliveryBackoff } from './event-layer.ts';

const PriceChanged = defineEvent({
  source: 'catalog',
  name: 'PriceChanged',
  schema: Type.Object({ productId: Type.String(), newPriceCents: Type.Integer({ minimum: 0 }) }),
});

test('a contract names its CloudEvents type after the producing service', () => {
  assert.equal(PriceChanged.type, 'souk.catalog.PriceChanged');
  assert.equal(sourceOfType(PriceChanged.type), 'catalog');
  assert.equal(sourceOfType('com.example.Other'), undefined);
  assert.throws(() => defineEvent({ source: 'Catalog', name: 'X', schema: Type.Object({}) }), /service name/);
  assert.throws(() => defineEvent({ source: 'catalog', name: 'price-changed', schema: Type.Object({}) }), /PascalCase/);
});

test('payloads are checked against the contract, with the failing fields named', () => {
  assert.deepEqual(PriceChanged.check({ productId: 'p-1', newPriceCents: 100 }), {
    ok: true,
    value: { productId: 'p-1', newPriceCents: 100 },
  });
  // Open content model: a newer producer's extra fields pass.
  assert.equal(PriceChanged.check({ productId: 'p-1', newPriceCents: 100, reason: 'sale' }).ok, true);
  const bad = PriceChanged.check({ productId: 'p-1', newPriceCents: 12.5 });
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && bad.issues.some((i) => i.instancePath === '/newPriceCents'));
  const missing = PriceChanged.check({ newPriceCents: 1 });
  assert.ok(!missing.ok && missing.issues.some((i) => i.instancePath === '/productId' && i.message === 'is required'));
});

test('producers check and register the closed form; nested objects are closed too, explicit choices kept', () => {
  const Nested = defineEvent({
    source: 'orders',
    name: 'OrderPlaced',
    schema: Type.Object({
      items: Type.Array(Type.Object({ sku: Type.String() })),
      meta: Type.Object({}, { additionalProperties: true }),
      choice: Type.Union([Type.Literal('a'), Type.Object({ b: Type.String() })]),
    }),
  });
  const p = Nested.published as any;
  assert.equal(p.additionalProperties, false);
  assert.equal(p.properties.items.items.additionalProperties, false);
  assert.equal(p.properties.meta.additionalProperties, true);
  assert.equal(p.properties.choice.anyOf[1].additionalProperties, false);
  assert.equal((Nested.schema as any).additionalProperties, undefined, 'the contract itself stays open');
  const payload = { items: [{ sku: 'a', extra: 1 }], meta: { x: 1 }, choice: 'a' };
  assert.equal(Nested.check(payload).ok, true);
  const refused = Nested.checkPublished(payload);
  assert.ok(!refused.ok && refused.issues.some((i) => i.instancePath === '/items/0/extra'));
});

test('an envelope is a valid CloudEvent carrying the schema id and the active trace', () => {
  const { tracer } = initTracing({ service: 'unit', version: '0', instance: 'unit-1' });
  const span = tracer.startSpan('request');
  const envelope = context.with(trace.setSpan(ROOT_CONTEXT, span), () =>
    buildEnvelope({
      service: 'catalog',
      type: PriceChanged.type,
      data: { productId: 'p-1', newPriceCents: 5 },
      subject: 'p-1',
      schemaId: 7,
    }),
  );
  span.end();
  assert.equal(envelope.specversion, '1.0');
  assert.equal(envelope.source, 'urn:souk:service:catalog');
  assert.equal(envelope.subject, 'p-1');
  assert.equal(envelope.datacontenttype, 'application/json');
  assert.equal(envelope.dataschema, dataschemaUri(7));
  assert.equal(schemaIdOf(envelope.dataschema), 7);
  assert.match(envelope.id, /^[0-9a-f-]{36}$/);
  assert.ok(!Number.isNaN(Date.parse(envelope.time)));
  assert.match(envelope.traceparent!, new RegExp(`^00-${span.spanContext().traceId}-${span.spanContext().spanId}-0[01]$`));
  const parent = trace.getSpanContext(traceContextOf(envelope));
  assert.equal(parent?.traceId, span.spanContext().traceId);
  assert.equal(parent?.isRemote, true);
  assert.ok(parseEnvelope(JSON.parse(JSON.stringify(envelope))));
});

test('parseEnvelope refuses what is not a CloudEvent 1.0; no traceparent means a new trace', () => {
  assert.equal(parseEnvelope({ id: 'x' }), undefined);
  assert.equal(
    parseEnvelope({
      specversion: '0.3',
      id: 'x',
      source: 's',
      type: 't',
      time: 'now',
      datacontenttype: 'application/json',
      data: 1,
    }),
    undefined,
  );
  const plain = buildEnvelope({ service: 'catalog', type: 'souk.catalog.X', data: {} });
  assert.equal(plain.traceparent, undefined);
  assert.equal(trace.getSpanContext(traceContextOf(plain)), undefined);
  assert.equal(schemaIdOf(undefined), undefined);
  assert.equal(schemaIdOf('http://elsewhere/schemas/1'), undefined);
});

test('redelivery delays grow exponentially, jittered in their upper half, and stop at the cap', () => {
  const low = () => 0;
  const high = () => 0.999999;
  const curve = redeliveryBackoff({ EVENTS_RETRY_BASE_MS: 100, EVENTS_RETRY_CAP_MS: 10_000 });
  const retryDelay = (attempt: number, random: () => number) => backoffDelay(curve, attempt, random);
  assert.equal(retryDelay(1, low), 50);
  assert.equal(retryDelay(1, high), 99);
  assert.equal(retryDelay(2, low), 100);
  assert.equal(retryDelay(4, high), 799);
  assert.equal(retryDelay(20, high), 9_999);
  assert.equal(retryDelay(20, low), 5_000);
});
