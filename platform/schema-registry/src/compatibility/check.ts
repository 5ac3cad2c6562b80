// Compatibility of a candidate schema with earlier versions under a level:
// BACKWARD reads old data with the new schema (new = reader, old = writer),
// FORWARD reads new data with the old schema (old = reader, new = writer),
// FULL both; *_TRANSITIVE against every earlier version, otherwise the latest.

import type { DiffOptions } from './diff-context.ts';
import { formatDifference, isCompatibleDifference, type Difference } from './differences.ts';
import { directionsOf, versionsToCheck, type CompatibilityLevel, type Direction } from './levels.ts';
import { diffSchemas } from './schema-diff.ts';

export interface SchemaVersion {
  version: number;
  /** The parsed JSON Schema. */
  schema: unknown;
}

export interface Incompatibility {
  version: number;
  direction: Direction;
  differences: Difference[];
}

export interface CheckResult {
  compatible: boolean;
  /** One line per incompatible difference, naming its type, path and the versions involved. */
  messages: string[];
  incompatibilities: Incompatibility[];
}

export const NEW_SCHEMA = 'the new schema';

/**
 * Checks `candidate` against the given versions in the level's direction(s).
 * The versions are used as given: pick them with `versionsToCheck` for a
 * registration, or pass one version to check against it alone.
 */
export function checkAgainst(
  level: CompatibilityLevel,
  candidate: unknown,
  versions: readonly SchemaVersion[],
  options: DiffOptions = {},
): CheckResult {
  const policy = options.openContentModel ?? 'confluent';
  const incompatibilities: Incompatibility[] = [];
  const messages: string[] = [];
  // Newest first: the latest version's reasons are the ones an author expects to read first.
  for (const previous of [...versions].sort((a, b) => b.version - a.version)) {
    const label = `version ${previous.version}`;
    for (const direction of directionsOf(level)) {
      const [writer, reader] = direction === 'backward' ? [previous.schema, candidate] : [candidate, previous.schema];
      const roles = direction === 'backward' ? { reader: NEW_SCHEMA, writer: label } : { reader: label, writer: NEW_SCHEMA };
      const differences = diffSchemas(writer, reader, options).filter((d) => !isCompatibleDifference(d.type, policy));
      if (differences.length === 0) continue;
      incompatibilities.push({ version: previous.version, direction, differences });
      for (const d of differences) {
        const message = formatDifference(d, roles);
        if (!messages.includes(message)) messages.push(message);
      }
    }
  }
  return { compatible: incompatibilities.length === 0, messages, incompatibilities };
}

/** The check a registration runs: against the latest version, or all of them for *_TRANSITIVE levels. */
export function checkRegistration(
  level: CompatibilityLevel,
  candidate: unknown,
  earlier: readonly SchemaVersion[],
  options: DiffOptions = {},
): CheckResult {
  const sorted = [...earlier].sort((a, b) => a.version - b.version);
  return checkAgainst(level, candidate, versionsToCheck(level, sorted), options);
}

/** Whether data written with `writer` can be read with `reader` (both parsed schemas). */
export function canRead(writer: unknown, reader: unknown, options: DiffOptions = {}): boolean {
  const policy = options.openContentModel ?? 'confluent';
  return diffSchemas(writer, reader, options).every((d) => isCompatibleDifference(d.type, policy));
}
