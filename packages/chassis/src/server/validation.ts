// Request validation with TypeBox's compiler. Bodies are checked strictly (a
// number is not silently turned into a string); query strings, path params and
// headers arrive as text, so they are converted to the schema's types first.
// Defaults apply everywhere. Errors name each field and what is wrong with it.

import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

/** One problem with one field, as listed in a SOUK_REQUEST_INVALID problem's `errors`. */
export interface FieldIssue {
  instancePath: string;
  message: string;
}

interface TypeBoxIssue {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/** Marks a body parsed from a form: its values are text, like a query string's. */
export const FORM_BODY = Symbol('souk.form-body');

/**
 * Parses application/x-www-form-urlencoded into a plain object marked as
 * textual. A repeated name becomes an array, so a schema expecting one value
 * refuses it (RFC 6749 §3.2: parameters must not be included more than once).
 */
export function parseFormBody(text: string): Record<string, string | string[]> {
  const body: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const seen = body[key];
    body[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  Object.defineProperty(body, FORM_BODY, { value: true, enumerable: false });
  return body;
}

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  // Most schemas (every JSON body of souk's writes) have no defaults: they skip the copy and the walk.
  const defaults = mayHaveDefaults(schema);
  return (input: unknown) => {
    const textual = httpPart !== 'body' || (typeof input === 'object' && input !== null && FORM_BODY in input);
    let value = input;
    // Spread first: the copy drops the form marker (not enumerable) and never mutates Fastify's object.
    if (defaults)
      value = Value.Default(schema, textual && typeof input === 'object' && input !== null ? Value.Clone({ ...input }) : input);
    // convertText copies an object it converts (dropping the form marker), so Fastify's stays as it was.
    if (textual) value = convertText(schema, value);
    if (validator.Check(value)) return { value };
    return { error: describeIssues(schema, validator.Errors(value)) as never };
  };
};

/**
 * Whether anything in the schema is named `default` (an annotation, or a property of that name, which
 * only costs the walk): without one, TypeBox's Value.Default leaves every value as it is.
 */
export function mayHaveDefaults(schema: TSchema): boolean {
  return JSON.stringify(schema).includes('"default"');
}

/** The pattern every service's contract gives its UUID fields. */
const UUID_REGEX = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export function describeIssues(schema: TSchema, issues: readonly TypeBoxIssue[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    if (issue.keyword === 'required') {
      for (const name of (issue.params.requiredProperties as string[] | undefined) ?? []) {
        out.push({ instancePath: `${issue.instancePath}/${name}`, message: 'is required' });
      }
    } else if (issue.keyword === 'additionalProperties') {
      for (const name of (issue.params.additionalProperties as string[] | undefined) ?? []) {
        out.push({ instancePath: `${issue.instancePath}/${name}`, message: 'is not allowed here' });
      }
    } else if (issue.keyword === 'boolean') {
      continue; // the `false` schema behind additionalProperties: reported above
    } else if (issue.keyword === 'pattern' && issue.params.pattern === UUID_REGEX) {
      // Every service's ids: say what is wanted rather than quoting the regular expression.
      out.push({ instancePath: issue.instancePath, message: 'must be a UUID (like 3f2b8c1e-5d4a-4b6f-9e21-7c0d8a9b1f35)' });
    } else {
      // A failed literal inside a union: name the whole union's choices once.
      const choices =
        allowedValues(schema, issue.schemaPath) ?? allowedValues(schema, issue.schemaPath.replace(/\/anyOf\/\d+$/, ''));
      out.push({ instancePath: issue.instancePath, message: choices ? `must be one of ${choices.join(', ')}` : issue.message });
    }
  }
  // A union reports each branch; keep one line per field and message.
  return out.filter((v, i) => out.findIndex((o) => o.instancePath === v.instancePath && o.message === v.message) === i);
}

function allowedValues(schema: TSchema, schemaPath: string): unknown[] | undefined {
  let node: unknown = schema;
  for (const segment of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    node = (node as Record<string, unknown> | undefined)?.[decodeURIComponent(segment)];
  }
  const n = node as { anyOf?: { const?: unknown }[]; enum?: unknown[] } | undefined;
  if (n?.enum) return n.enum;
  const consts = n?.anyOf?.map((s) => s.const);
  return consts && consts.length > 0 && consts.every((c) => c !== undefined) ? consts : undefined;
}

const INTEGER = /^-?\d+$/;
const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * Turns the text of query strings, params, headers and forms into the
 * schema's types, strictly: "12.99" is not an integer and "0x10" not a
 * number, so such values reach validation unchanged and are refused instead
 * of being silently truncated (TypeBox's Value.Convert would accept them).
 */
export function convertText(schema: TSchema, value: unknown): unknown {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (!properties || typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, property] of Object.entries(properties)) {
    if (key in out) out[key] = convertScalar(property, out[key]);
  }
  return out;
}

function convertScalar(schema: TSchema, value: unknown): unknown {
  const s = schema as { type?: string; items?: TSchema; anyOf?: TSchema[] };
  if (s.type === 'array' && s.items) return (Array.isArray(value) ? value : [value]).map((v) => convertScalar(s.items!, v));
  if (typeof value !== 'string') return value;
  if (s.type === 'integer') return INTEGER.test(value) ? Number(value) : value;
  if (s.type === 'number') return NUMBER.test(value) ? Number(value) : value;
  if (s.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  if (s.anyOf) {
    // A union of literals ("asc" | "desc", 1 | 2): take the branch whose literal matches the text.
    const match = s.anyOf.find((b) => String((b as { const?: unknown }).const) === value);
    if (match) return (match as { const?: unknown }).const;
  }
  return value;
}
