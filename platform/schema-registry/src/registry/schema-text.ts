// Turns the `schema` string of a request into a stored schema: checks the
// schema type, parses the JSON, compiles it with ajv in the draft its
// `$schema` names, and derives the canonical text and fingerprint ids hang on.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Ajv, type Options } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { isSoukError } from '@souk/chassis';
import { registryErrors } from '../errors.ts';
import { ajvRegExp } from '../patterns/safe-pattern.ts';

// Loaded with require: the devhost's esbuild bundles keep packages external and
// drop import attributes, and Node 20 refuses a JSON import without them.
const draft06 = createRequire(import.meta.url)('ajv/dist/refs/json-schema-draft-06.json') as Record<string, unknown>;

export const SCHEMA_TYPE = 'JSON';

export interface PreparedSchema {
  /** Compact JSON, keys in the author's order (sorted when normalized): what is stored and served. */
  readonly text: string;
  readonly value: unknown;
  readonly fingerprint: string;
}

export interface SchemaRequest {
  schema: string;
  schemaType?: string;
  references?: readonly unknown[];
}

/** Refuses what this registry does not store, before any parsing: other schema types and references. */
export function checkSchemaType(request: Pick<SchemaRequest, 'schemaType' | 'references'>): void {
  const type = request.schemaType;
  if (type === undefined || type === null) {
    throw registryErrors.unsupportedSchemaType(
      'Invalid schema: unsupported schema type AVRO (a request without schemaType means AVRO in the Confluent API); this registry stores only schemaType "JSON"',
    );
  }
  if (type.toUpperCase() !== SCHEMA_TYPE) {
    throw registryErrors.unsupportedSchemaType(
      `Invalid schema: unsupported schema type ${JSON.stringify(type)}; this registry stores only schemaType "JSON"`,
    );
  }
  if (request.references && request.references.length > 0) {
    throw registryErrors.referencesUnsupported(
      'Invalid schema: schema references are not supported by this registry; inline the referenced schemas under $defs',
    );
  }
}

/** Parses without validating as JSON Schema: enough to look a schema up (POST /subjects/{subject}). */
export function parseSchema(request: SchemaRequest, options: { normalize?: boolean } = {}): PreparedSchema {
  checkSchemaType(request);
  let value: unknown;
  try {
    value = JSON.parse(request.schema);
  } catch (err) {
    throw registryErrors.invalidSchema({
      detail: `Invalid schema: the schema is not valid JSON: ${(err as Error).message}`,
      cause: err,
    });
  }
  if (typeof value !== 'boolean' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw registryErrors.invalidSchema('Invalid schema: a JSON Schema is a JSON object (or a boolean)');
  }
  if (depthOf(value) > MAX_DEPTH) {
    throw registryErrors.invalidSchema(`Invalid schema: it is nested more than ${MAX_DEPTH} levels deep`);
  }
  const text = serialize(value, options.normalize ?? false);
  const fingerprint = createHash('sha256').update(`${SCHEMA_TYPE}\n${text}`).digest('hex');
  return { text, value, fingerprint };
}

/** Far beyond any real schema; keeps the recursive steps (serializing, compiling, comparing) off the stack limit. */
export const MAX_DEPTH = 200;

/** Nesting depth of a JSON value, measured without recursion (the value may be deeper than the stack allows). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    max = Math.max(max, depth);
    if (max > MAX_DEPTH) return max;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
}

/** The canonical text of a stored schema, sorted when comparing normalized forms. */
export function canonicalize(text: string, normalize: boolean): string {
  return serialize(JSON.parse(text), normalize);
}

/** Parses and compiles: what registration and compatibility checks need. */
export function prepareSchema(request: SchemaRequest, options: { normalize?: boolean } = {}): PreparedSchema {
  const prepared = parseSchema(request, options);
  compile(prepared.value);
  return prepared;
}

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;
const DRAFT_06 = /^https?:\/\/json-schema\.org\/draft-06\/schema#?$/;
const DRAFT_2019 = /^https?:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/;
const DRAFT_2020 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

// Unknown keywords and formats are allowed (strict: false), as schemas from
// other tools carry their own annotations; formats are not asserted.
// addUsedSchema: false keeps compiled `$id`s out of the shared instance, so the
// next version of a schema with the same `$id` compiles too. Patterns compile
// (and would match) under RE2, never `new RegExp` (patterns/safe-pattern.ts).
export const AJV_OPTIONS: Options = {
  strict: false,
  logger: false,
  validateFormats: false,
  allErrors: false,
  addUsedSchema: false,
  code: { regExp: ajvRegExp },
};

type Validator = Ajv | Ajv2019 | Ajv2020;
const validators = new Map<string, Validator>();

function validatorFor(draft: 'draft-06' | 'draft-07' | '2019-09' | '2020-12'): Validator {
  let ajv = validators.get(draft);
  if (!ajv) {
    ajv = draft === '2019-09' ? new Ajv2019(AJV_OPTIONS) : draft === '2020-12' ? new Ajv2020(AJV_OPTIONS) : new Ajv(AJV_OPTIONS);
    if (draft === 'draft-06') ajv.addMetaSchema(draft06);
    validators.set(draft, ajv);
  }
  return ajv;
}

function draftOf(value: unknown): 'draft-06' | 'draft-07' | '2019-09' | '2020-12' {
  const declared = typeof value === 'object' && value !== null ? (value as { $schema?: unknown }).$schema : undefined;
  if (declared === undefined) return 'draft-07';
  if (typeof declared !== 'string') throw registryErrors.invalidSchema('Invalid schema: $schema must be a URI string');
  if (DRAFT_07.test(declared)) return 'draft-07';
  if (DRAFT_06.test(declared)) return 'draft-06';
  if (DRAFT_2019.test(declared)) return '2019-09';
  if (DRAFT_2020.test(declared)) return '2020-12';
  throw registryErrors.invalidSchema(
    `Invalid schema: $schema ${JSON.stringify(declared)} is not supported; use draft-07 (the default), draft-06, 2019-09 or 2020-12`,
  );
}

function compile(value: unknown): void {
  const ajv = validatorFor(draftOf(value));
  try {
    ajv.compile(value as object | boolean);
  } catch (err) {
    if (isSoukError(err)) throw err;
    throw registryErrors.invalidSchema({ detail: `Invalid schema: ${(err as Error).message}`, cause: err });
  } finally {
    // The compiled function is not needed afterwards; keep the instance's cache from growing.
    if (typeof value === 'object' && value !== null) ajv.removeSchema(value);
  }
}

/**
 * Compact JSON text. Built as a string rather than through new objects, so a
 * property named "__proto__" in a schema stays an ordinary key. With
 * `normalize` the keys are sorted, so reordered copies of a schema share an id.
 */
function serialize(value: unknown, normalize: boolean): string {
  if (Array.isArray(value)) return `[${value.map((v) => serialize(v, normalize)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    if (normalize) keys.sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${serialize((value as Record<string, unknown>)[k], normalize)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
