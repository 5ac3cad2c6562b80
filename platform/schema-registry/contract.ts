// The schema registry's public contract: TypeBox schemas of the Confluent
// Schema Registry REST API it speaks (JSON Schema only). Routes validate with
// them, /openapi.json is generated from them, and callers may import the types.

import { Type, type Static } from 'typebox';

/** What every answer is sent as, errors included (Confluent's media type). */
export const SCHEMA_REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** Request bodies may come as any of these; all are read as JSON. */
export const ACCEPTED_CONTENT_TYPES = [
  'application/vnd.schemaregistry.v1+json',
  'application/vnd.schemaregistry+json',
  'application/json',
  'application/octet-stream',
] as const;

export const CompatibilityLevel = Type.Union([
  Type.Literal('BACKWARD'),
  Type.Literal('BACKWARD_TRANSITIVE'),
  Type.Literal('FORWARD'),
  Type.Literal('FORWARD_TRANSITIVE'),
  Type.Literal('FULL'),
  Type.Literal('FULL_TRANSITIVE'),
  Type.Literal('NONE'),
]);
export type CompatibilityLevel = Static<typeof CompatibilityLevel>;

export const MAX_VERSION = 2 ** 31 - 1;

// ---- path and query parameters ----

export const SubjectParams = Type.Object({ subject: Type.String({ description: 'URL-encoded subject name.' }) });
export const SubjectVersionParams = Type.Object({
  subject: Type.String(),
  version: Type.String({ description: 'A version number from 1 to 2^31-1, or "latest" (-1 also means latest).' }),
});
export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: MAX_VERSION, description: 'Global schema id.' }) });

export const SubjectsQuery = Type.Object({
  deleted: Type.Optional(Type.Boolean({ description: 'Include subjects whose versions are all soft-deleted.' })),
  subjectPrefix: Type.Optional(Type.String({ description: 'Only subjects starting with this text.' })),
});
export const DeletedQuery = Type.Object({
  deleted: Type.Optional(Type.Boolean({ description: 'Include soft-deleted versions.' })),
});
export const PermanentQuery = Type.Object({
  permanent: Type.Optional(Type.Boolean({ description: 'Delete for good; the subject or version must be soft-deleted first.' })),
});
export const RegisterQuery = Type.Object({
  normalize: Type.Optional(
    Type.Boolean({ description: 'Sort object keys first, so reordered copies of a schema are the same schema.' }),
  ),
});
export const LookupQuery = Type.Object({
  deleted: Type.Optional(Type.Boolean()),
  normalize: Type.Optional(Type.Boolean()),
});
export const CompatibilityQuery = Type.Object({
  verbose: Type.Optional(Type.Boolean({ description: 'Also list the reasons of an incompatibility.' })),
  normalize: Type.Optional(Type.Boolean()),
});
export const ConfigQuery = Type.Object({
  defaultToGlobal: Type.Optional(Type.Boolean({ description: 'Answer the global level when the subject has none of its own.' })),
});

// ---- bodies ----

/** Register, look up or check a schema. Unknown members (metadata, ruleSet) are ignored. */
export const SchemaRequest = Type.Object({
  schema: Type.String({ description: 'The JSON Schema, as a string of JSON.' }),
  schemaType: Type.Optional(
    Type.String({ description: 'Must be "JSON"; missing means AVRO in the Confluent API, which is refused.' }),
  ),
  references: Type.Optional(Type.Array(Type.Unknown(), { description: 'Not supported: must be absent or empty.' })),
});
export type SchemaRequest = Static<typeof SchemaRequest>;

export const RegisteredSchema = Type.Object({
  id: Type.Integer({ description: 'Global id: the same schema text has the same id under every subject.' }),
});
export type RegisteredSchema = Static<typeof RegisteredSchema>;

export const SubjectVersion = Type.Object({
  subject: Type.String(),
  id: Type.Integer(),
  version: Type.Integer(),
  schemaType: Type.Literal('JSON'),
  schema: Type.String(),
});
export type SubjectVersion = Static<typeof SubjectVersion>;

export const SchemaById = Type.Object({ schema: Type.String(), schemaType: Type.Literal('JSON') });
export type SchemaById = Static<typeof SchemaById>;

export const SubjectVersionPair = Type.Object({ subject: Type.String(), version: Type.Integer() });
export type SubjectVersionPair = Static<typeof SubjectVersionPair>;

export const CompatibilityResult = Type.Object({
  is_compatible: Type.Boolean(),
  messages: Type.Optional(
    Type.Array(Type.String(), { description: 'With verbose=true: one line per reason, `TYPE at #/path: what changed`.' }),
  ),
});
export type CompatibilityResult = Static<typeof CompatibilityResult>;

/** PUT /config and /config/{subject}; the level is read in any case. */
export const ConfigUpdate = Type.Object({ compatibility: Type.String() });
export type ConfigUpdate = Static<typeof ConfigUpdate>;
export const ConfigUpdated = Type.Object({ compatibility: CompatibilityLevel });
export const Config = Type.Object({ compatibilityLevel: CompatibilityLevel });
export type Config = Static<typeof Config>;

export const Mode = Type.Object({ mode: Type.Literal('READWRITE') });

/** Every failure on these routes: Confluent's error body, not problem+json. */
export const ErrorBody = Type.Object({
  error_code: Type.Integer({
    description:
      'Confluent code: 40401 subject, 40402 version, 40403 schema not found, 409 incompatible, 42201 invalid schema, ...',
  }),
  message: Type.String(),
});
export type ErrorBody = Static<typeof ErrorBody>;
