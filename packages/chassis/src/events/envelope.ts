// The CloudEvents 1.0 envelope (structured JSON mode) every souk event travels
// in, with the W3C trace context in the `traceparent` extension and the schema
// registry's id of the payload's schema in `dataschema`.

import { randomUUID } from 'node:crypto';
import { context, propagation, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';

export const CLOUDEVENT_CONTENT_TYPE = 'application/cloudevents+json';

export const CloudEvent = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Type.String({ minLength: 1 }),
  source: Type.String({ minLength: 1 }),
  type: Type.String({ minLength: 1 }),
  subject: Type.Optional(Type.String()),
  time: Type.String({ minLength: 1 }),
  datacontenttype: Type.Literal('application/json'),
  dataschema: Type.Optional(Type.String({ minLength: 1 })),
  traceparent: Type.Optional(Type.String()),
  tracestate: Type.Optional(Type.String()),
  /** Position in the producer's feed (CloudEvents `sequence` extension); set when served. */
  sequence: Type.Optional(Type.String()),
  data: Type.Unknown(),
});
export type CloudEvent = Static<typeof CloudEvent>;

const checkEnvelope = Compile(CloudEvent);

/** `source` attribute of events produced by a service. */
export function sourceUri(service: string): string {
  return `urn:souk:service:${service}`;
}

/** `dataschema` for a schema registry id: a URN that names the id (GET /schemas/ids/{id} on the registry resolves it). */
export function dataschemaUri(schemaId: number): string {
  return `urn:souk:schema-registry:schemas:ids:${schemaId}`;
}

export function schemaIdOf(dataschema: string | undefined): number | undefined {
  const m = /^urn:souk:schema-registry:schemas:ids:(\d+)$/.exec(dataschema ?? '');
  return m ? Number(m[1]) : undefined;
}

export interface EnvelopeInput {
  service: string;
  type: string;
  data: unknown;
  subject?: string;
  id?: string;
  time?: Date;
  schemaId?: number;
}

/** Builds an envelope; the active span (the request that publishes) becomes the consumer's parent. */
export function buildEnvelope(input: EnvelopeInput): CloudEvent {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return {
    specversion: '1.0',
    id: input.id ?? randomUUID(),
    source: sourceUri(input.service),
    type: input.type,
    ...(input.subject !== undefined ? { subject: input.subject } : {}),
    time: (input.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    ...(input.schemaId !== undefined ? { dataschema: dataschemaUri(input.schemaId) } : {}),
    ...(carrier.traceparent ? { traceparent: carrier.traceparent } : {}),
    ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}),
    data: input.data,
  };
}

/** Parses and checks an envelope from the wire; undefined when it is not one. */
export function parseEnvelope(value: unknown): CloudEvent | undefined {
  return checkEnvelope.Check(value) ? value : undefined;
}

/** The producer's trace context carried by an event (the root context when it has none). */
export function traceContextOf(event: CloudEvent): Context {
  if (!event.traceparent) return ROOT_CONTEXT;
  const carrier: Record<string, string> = { traceparent: event.traceparent };
  if (event.tracestate) carrier.tracestate = event.tracestate;
  const extracted = propagation.extract(ROOT_CONTEXT, carrier);
  return trace.getSpanContext(extracted) ? extracted : ROOT_CONTEXT;
}
