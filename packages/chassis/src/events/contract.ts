// Event contracts: what a producer publishes and a consumer expects, as a
// TypeBox schema per CloudEvents type. Producers list theirs in contract.ts;
// the schema registry keeps every version, and consumers import the same
// contract to get typed, validated payloads.

import type { Static, TObject } from 'typebox';
import { Compile } from 'typebox/compile';
import { describeIssues, type FieldIssue } from '../server/validation.ts';

export interface EventContract<S extends TObject = TObject> {
  /** The producing service, as discovery names it (`catalog`). */
  readonly source: string;
  /** Short name, past tense (`PriceChanged`). */
  readonly name: string;
  /** CloudEvents `type`: `souk.<source>.<name>`; also the NATS subject and the schema registry subject. */
  readonly type: string;
  readonly schema: S;
  /** Checks a payload; the issues name each field. */
  check(data: unknown): { ok: true; value: Static<S> } | { ok: false; issues: FieldIssue[] };
}

export type EventData<C> = C extends EventContract<infer S> ? Static<S> : never;

const NAME = /^[A-Z][A-Za-z0-9]*$/;
const SOURCE = /^[a-z][a-z0-9-]*$/;

/**
 * Declares an event. Keep the schema's content model open (no
 * `additionalProperties: false`): a consumer on an older version must accept
 * the optional fields a newer producer adds.
 */
export function defineEvent<S extends TObject>(spec: { source: string; name: string; schema: S }): EventContract<S> {
  if (!SOURCE.test(spec.source)) throw new Error(`event source must be a service name, got "${spec.source}"`);
  if (!NAME.test(spec.name)) throw new Error(`event name must be PascalCase, got "${spec.name}"`);
  let validator: { Check(value: unknown): boolean; Errors(value: unknown): unknown[] } | undefined;
  return {
    source: spec.source,
    name: spec.name,
    type: eventType(spec.source, spec.name),
    schema: spec.schema,
    check(data) {
      const v = (validator ??= Compile(spec.schema as TObject));
      if (v.Check(data)) return { ok: true, value: data as Static<S> };
      return { ok: false, issues: describeIssues(spec.schema, v.Errors(data) as never) };
    },
  };
}

export function eventType(source: string, name: string): string {
  return `souk.${source}.${name}`;
}

/** The producing service named in a souk event type (`souk.catalog.PriceChanged` → `catalog`). */
export function sourceOfType(type: string): string | undefined {
  return /^souk\.([a-z][a-z0-9-]*)\.[A-Za-z0-9]+$/.exec(type)?.[1];
}
