// The schema registry's own environment variables; the chassis validates them with the
// common ones at start (the only place they are read).

import { Type } from 'typebox';
import { CompatibilityLevel } from '../contract.ts';
import { DEFAULT_COMPATIBILITY } from './compatibility/index.ts';

export const SchemaRegistryConfig = Type.Object({
  SCHEMA_REGISTRY_DEFAULT_COMPATIBILITY: Type.Union(CompatibilityLevel.anyOf, {
    default: DEFAULT_COMPATIBILITY,
    description: 'The global compatibility level until PUT /config sets one.',
  }),
  SCHEMA_REGISTRY_OPEN_CONTENT_MODEL: Type.Union([Type.Literal('lenient'), Type.Literal('confluent')], {
    default: 'confluent',
    description:
      'confluent: adding a property to an open JSON Schema is refused, exactly as Confluent does; lenient: accepted (for producers that never write undeclared properties).',
  }),
});
