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
  /**
   * What the producer promises and registers: the schema with every object
   * closed (`additionalProperties: false` where it says nothing), so the
   * registry sees exactly which properties exist and Confluent's rules hold:
   * adding an optional property is compatible, removing a required one is not.
   */
  readonly published: Record<string, unknown>;
  /** Consumer side: checks a payload against the open schema (fields a newer producer added pass). */
  check(data: unknown): CheckResult<Static<S>>;
  /** Producer side: checks a payload against the closed schema (an undeclared field is a bug). */
  checkPublished(data: unknown): CheckResult<Static<S>>;
}

export type CheckResult<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

export type EventData<C> = C extends EventContract<infer S> ? Static<S> : never;

const NAME = /^[A-Z][A-Za-z0-9]*$/;
const SOURCE = /^[a-z][a-z0-9-]*$/;

/**
 * Declares an event. Write the schema without `additionalProperties: false`:
 * consumers check payloads against it as written (open), so a consumer on an
 * older version accepts the optional fields a newer producer adds; producers
 * and the registry use its closed form (`published`).
 */
export function defineEvent<S extends TObject>(spec: { source: string; name: string; schema: S }): EventContract<S> {
  if (!SOURCE.test(spec.source)) throw new Error(`event source must be a service name, got "${spec.source}"`);
  if (!NAME.test(spec.name)) throw new Error(`event name must be PascalCase, got "${spec.name}"`);
  const published = closeObjects(JSON.parse(JSON.stringify(spec.schema)) as Record<string, unknown>);
  const open = lazyChecker<Static<S>>(spec.schema);
  const closed = lazyChecker<Static<S>>(published as unknown as TObject);
  return {
    source: spec.source,
    name: spec.name,
    type: eventType(spec.source, spec.name),
    schema: spec.schema,
    published,
    check: open,
    checkPublished: closed,
  };
}

function lazyChecker<T>(schema: TObject): (data: unknown) => CheckResult<T> {
  let validator: { Check(value: unknown): boolean; Errors(value: unknown): unknown[] } | undefined;
  return (data) => {
    const v = (validator ??= Compile(schema));
    if (v.Check(data)) return { ok: true, value: data as T };
    return { ok: false, issues: describeIssues(schema, v.Errors(data) as never) };
  };
}

/** Closes every object schema that does not say how it treats other properties. */
export function closeObjects(node: Record<string, unknown>): Record<string, unknown> {
  if (
    node.type === 'object' &&
    node.properties &&
    node.additionalProperties === undefined &&
    node.patternProperties === undefined
  ) {
    node.additionalProperties = false;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'const' || key === 'enum' || key === 'default' || key === 'examples') continue;
    if (Array.isArray(value)) value.forEach((v) => isSchemaObject(v) && closeObjects(v));
    else if (isSchemaObject(value)) closeObjects(value);
  }
  return node;
}

function isSchemaObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function eventType(source: string, name: string): string {
  return `souk.${source}.${name}`;
}

/** The producing service named in a souk event type (`souk.catalog.PriceChanged` → `catalog`). */
export function sourceOfType(type: string): string | undefined {
  return /^souk\.([a-z][a-z0-9-]*)\.[A-Za-z0-9]+$/.exec(type)?.[1];
}
