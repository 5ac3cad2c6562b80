// JSON Schema compatibility, as pure functions: the rules Confluent's registry
// applies to JSON Schemas, read as "can this reader accept what that writer wrote".

export {
  COMPATIBILITY_LEVELS,
  DEFAULT_COMPATIBILITY,
  directionsOf,
  isTransitive,
  parseCompatibilityLevel,
  versionsToCheck,
} from './levels.ts';
export type { CompatibilityLevel, Direction } from './levels.ts';
export { formatDifference, isCompatibleDifference, OPEN_CONTENT_MODEL_POLICIES } from './differences.ts';
export type { Difference, OpenContentModelPolicy, Roles } from './differences.ts';
export type { DiffOptions } from './diff-context.ts';
export { diffSchemas } from './schema-diff.ts';
export { canRead, checkAgainst, checkRegistration, NEW_SCHEMA } from './check.ts';
export type { CheckResult, Incompatibility, SchemaVersion } from './check.ts';
