// The schema registry's error codes, each also listed in docs/errors.md. On
// the wire these routes answer in Confluent's format, `{ error_code, message }`,
// with the Confluent code kept beside each entry in CONFLUENT_CODES.

import { chassisErrors, defineErrors, type SoukError } from '@souk/chassis';

export const registryErrors = defineErrors({
  subjectNotFound: {
    code: 'SOUK_SCHEMA_REGISTRY_SUBJECT_NOT_FOUND',
    status: 404,
    title: 'Subject not found',
    description:
      'Confluent error_code 40401: the subject has no version (or only soft-deleted ones and `deleted=true` was not asked for).',
  },
  versionNotFound: {
    code: 'SOUK_SCHEMA_REGISTRY_VERSION_NOT_FOUND',
    status: 404,
    title: 'Version not found',
    description: 'Confluent error_code 40402: the subject exists but has no such version.',
  },
  schemaNotFound: {
    code: 'SOUK_SCHEMA_REGISTRY_SCHEMA_NOT_FOUND',
    status: 404,
    title: 'Schema not found',
    description:
      'Confluent error_code 40403: no schema has this id, or the schema looked up is not registered under the subject.',
  },
  subjectSoftDeleted: {
    code: 'SOUK_SCHEMA_REGISTRY_SUBJECT_SOFT_DELETED',
    status: 404,
    title: 'Subject was soft-deleted',
    description:
      'Confluent error_code 40404: every version of the subject is already soft-deleted; add `permanent=true` to delete it for good.',
  },
  subjectNotSoftDeleted: {
    code: 'SOUK_SCHEMA_REGISTRY_SUBJECT_NOT_SOFT_DELETED',
    status: 404,
    title: 'Subject must be soft-deleted first',
    description:
      'Confluent error_code 40405: a permanent delete needs the subject soft-deleted first (DELETE without `permanent`).',
  },
  versionSoftDeleted: {
    code: 'SOUK_SCHEMA_REGISTRY_VERSION_SOFT_DELETED',
    status: 404,
    title: 'Version was soft-deleted',
    description: 'Confluent error_code 40406: the version is already soft-deleted; add `permanent=true` to delete it for good.',
  },
  versionNotSoftDeleted: {
    code: 'SOUK_SCHEMA_REGISTRY_VERSION_NOT_SOFT_DELETED',
    status: 404,
    title: 'Version must be soft-deleted first',
    description: 'Confluent error_code 40407: a permanent delete needs the version soft-deleted first.',
  },
  subjectConfigNotFound: {
    code: 'SOUK_SCHEMA_REGISTRY_SUBJECT_CONFIG_NOT_FOUND',
    status: 404,
    title: 'No subject-level compatibility',
    description:
      'Confluent error_code 40408: the subject has no compatibility level of its own; ask with `defaultToGlobal=true` for the effective one.',
  },
  incompatibleSchema: {
    code: 'SOUK_SCHEMA_REGISTRY_INCOMPATIBLE_SCHEMA',
    status: 409,
    title: 'Schema is incompatible',
    description:
      "Confluent error_code 409: the schema breaks the subject's compatibility level against an earlier version; the message lists each reason with its path.",
  },
  invalidSchema: {
    code: 'SOUK_SCHEMA_REGISTRY_INVALID_SCHEMA',
    status: 422,
    title: 'Invalid schema',
    description:
      'Confluent error_code 42201: the schema text is not JSON, or not a JSON Schema ajv can compile (draft-06, draft-07, 2019-09 or 2020-12).',
  },
  patternUnsupported: {
    code: 'SOUK_SCHEMA_REGISTRY_PATTERN_UNSUPPORTED',
    status: 422,
    title: 'Pattern not supported',
    description:
      'Confluent error_code 42201: a `pattern` or `patternProperties` key is longer than 1000 characters or needs what the linear-time (RE2) engine cannot run, such as lookaround or backreferences.',
  },
  unsupportedSchemaType: {
    code: 'SOUK_SCHEMA_REGISTRY_SCHEMA_TYPE_UNSUPPORTED',
    status: 422,
    title: 'Unsupported schema type',
    description:
      'Confluent error_code 42201: only schemaType "JSON" is stored here; AVRO (also meant by a missing schemaType) and PROTOBUF are refused.',
  },
  referencesUnsupported: {
    code: 'SOUK_SCHEMA_REGISTRY_REFERENCES_UNSUPPORTED',
    status: 422,
    title: 'Schema references are not supported',
    description:
      'Confluent error_code 42201: the registry does not resolve `references` to other subjects; inline the referenced schema under $defs.',
  },
  invalidVersion: {
    code: 'SOUK_SCHEMA_REGISTRY_INVALID_VERSION',
    status: 422,
    title: 'Invalid version',
    description: 'Confluent error_code 42202: a version is an integer from 1 to 2^31-1, or "latest" (-1 means latest too).',
  },
  invalidCompatibilityLevel: {
    code: 'SOUK_SCHEMA_REGISTRY_INVALID_COMPATIBILITY_LEVEL',
    status: 422,
    title: 'Invalid compatibility level',
    description:
      'Confluent error_code 42203: use NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE.',
  },
  invalidSubject: {
    code: 'SOUK_SCHEMA_REGISTRY_INVALID_SUBJECT',
    status: 422,
    title: 'Invalid subject',
    description: 'Confluent error_code 42208: a subject name is 1 to 255 characters without control characters.',
  },
  invalidRequest: {
    code: 'SOUK_SCHEMA_REGISTRY_REQUEST_INVALID',
    status: 422,
    title: 'Invalid request',
    description:
      'Confluent error_code 422: the body or a query parameter has the wrong shape (for example no `schema` string); the message names the field.',
  },
  credentialMissing: {
    code: 'SOUK_SCHEMA_REGISTRY_CREDENTIAL_MISSING',
    status: 401,
    title: 'Credential required',
    description:
      "Confluent error_code 40101: registering, deleting and setting compatibility need a bearer token (an admin's, or a service token with scope `schemas:write`); reads need none.",
  },
  writeForbidden: {
    code: 'SOUK_SCHEMA_REGISTRY_WRITE_FORBIDDEN',
    status: 403,
    title: 'Not allowed to change the registry',
    description:
      "Confluent error_code 40301: the token is valid but neither an admin's nor a service token with scope `schemas:write`.",
  },
  storeError: {
    code: 'SOUK_SCHEMA_REGISTRY_STORE_ERROR',
    status: 500,
    title: 'Schema store error',
    retryable: true,
    description: 'Confluent error_code 50001: the registry could not read or write its database; retry later.',
  },
});

type RegistryErrorKey = keyof typeof registryErrors;

/** The Confluent `error_code` of each registry error (clients such as kafkajs read these). */
export const CONFLUENT_CODES: Readonly<Record<RegistryErrorKey, number>> = {
  subjectNotFound: 40401,
  versionNotFound: 40402,
  schemaNotFound: 40403,
  subjectSoftDeleted: 40404,
  subjectNotSoftDeleted: 40405,
  versionSoftDeleted: 40406,
  versionNotSoftDeleted: 40407,
  subjectConfigNotFound: 40408,
  incompatibleSchema: 409,
  invalidSchema: 42201,
  patternUnsupported: 42201,
  unsupportedSchemaType: 42201,
  referencesUnsupported: 42201,
  invalidVersion: 42202,
  invalidCompatibilityLevel: 42203,
  invalidSubject: 42208,
  invalidRequest: 422,
  credentialMissing: 40101,
  writeForbidden: 40301,
  storeError: 50001,
};

const byCode = new Map<string, number>(
  (Object.keys(CONFLUENT_CODES) as RegistryErrorKey[]).map((key) => [registryErrors[key].code, CONFLUENT_CODES[key]]),
);

/**
 * The `error_code` for any souk error: the registry's own from the table,
 * 50001 for an unexpected failure, otherwise the HTTP status (a malformed
 * JSON body is 400, an unsupported media type 415), as Confluent's REST layer does.
 */
export function confluentCodeOf(err: SoukError): number {
  const known = byCode.get(err.code);
  if (known !== undefined) return known;
  if (err.code === chassisErrors.internal.code) return 50001;
  // A token the chassis refused (invalid, expired): Confluent's codes for 401 and 403.
  if (err.status === 401) return 40101;
  if (err.status === 403) return 40301;
  return err.status;
}
