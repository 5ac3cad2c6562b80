// Settings checked against the schema their service published, with ajv. A schema is compiled once per
// published text. Schemas come from the services themselves, but with mutual TLS off anyone may publish
// one, so no regular expression of a caller runs here: `pattern` and `patternProperties` are refused.

import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { configErrors } from './errors.ts';

const ajv = new Ajv({ allErrors: true, strict: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();
const REFUSED_KEYWORDS = ['pattern', 'patternProperties'];

function refusedKeyword(schema: unknown, path = ''): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  for (const [key, value] of Object.entries(schema)) {
    if (REFUSED_KEYWORDS.includes(key) && !path.endsWith('/properties')) return `${path}/${key}`;
    const inner = refusedKeyword(value, `${path}/${key}`);
    if (inner) return inner;
  }
  return undefined;
}

/** The validator of `schema`; throws 400 SOUK_CONFIG_SCHEMA_UNSUPPORTED when it cannot be one. */
export function validatorOf(schema: object): ValidateFunction {
  const key = createHash('sha256').update(JSON.stringify(schema)).digest('hex');
  const known = compiled.get(key);
  if (known) return known;
  const refused = refusedKeyword(schema);
  if (refused) throw configErrors.unsupportedSchema(`The schema uses ${refused}: regular expressions are not accepted.`);
  if ((schema as { type?: unknown }).type !== 'object') {
    throw configErrors.unsupportedSchema('A settings schema describes an object: its `type` must be "object".');
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw configErrors.unsupportedSchema(`The schema does not compile: ${(err as Error).message}`);
  }
  compiled.set(key, validate);
  return validate;
}

export interface SettingsProblem {
  /** JSON Pointer of the setting (`/` for the document itself). */
  path: string;
  message: string;
}

/** Throws 422 SOUK_CONFIG_SETTINGS_INVALID, listing every problem, unless `settings` satisfy `schema`. */
export function checkSettings(service: string, schema: object, settings: unknown, context = ''): void {
  const validate = validatorOf(schema);
  if (validate(settings)) return;
  const errors: SettingsProblem[] = (validate.errors ?? []).map((e) => {
    const extra = e.params as { additionalProperty?: string; allowedValues?: unknown[] };
    const path = `${e.instancePath}${extra.additionalProperty ? `/${extra.additionalProperty}` : ''}` || '/';
    const message = extra.additionalProperty
      ? `${service} has no such setting`
      : extra.allowedValues
        ? `${e.message}: ${extra.allowedValues.join(', ')}`
        : (e.message ?? 'is not valid');
    return { path, message };
  });
  throw configErrors.invalidSettings({
    detail: `The settings of ${service}${context} were refused: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`,
    extensions: { errors },
  });
}
