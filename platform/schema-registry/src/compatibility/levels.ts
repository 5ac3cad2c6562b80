// Compatibility levels of the Confluent API and what each one checks: which
// direction(s) data must flow between versions, and against how many versions.

export const COMPATIBILITY_LEVELS = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
] as const;

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

/**
 * - `backward`: the new schema reads data written with an earlier one (consumers upgrade first).
 * - `forward`: an earlier schema reads data written with the new one (producers upgrade first).
 */
export type Direction = 'backward' | 'forward';

/** Levels are accepted in any case, as Confluent does (`backward` = `BACKWARD`). */
export function parseCompatibilityLevel(value: unknown): CompatibilityLevel | undefined {
  if (typeof value !== 'string') return undefined;
  const upper = value.trim().toUpperCase();
  return (COMPATIBILITY_LEVELS as readonly string[]).includes(upper) ? (upper as CompatibilityLevel) : undefined;
}

export function directionsOf(level: CompatibilityLevel): Direction[] {
  if (level === 'NONE') return [];
  if (level.startsWith('BACKWARD')) return ['backward'];
  if (level.startsWith('FORWARD')) return ['forward'];
  return ['backward', 'forward'];
}

export function isTransitive(level: CompatibilityLevel): boolean {
  return level.endsWith('_TRANSITIVE');
}

/**
 * The earlier versions a new schema is checked against: the latest for plain
 * levels, every one for *_TRANSITIVE, none for NONE. `versions` is oldest first.
 */
export function versionsToCheck<V>(level: CompatibilityLevel, versions: readonly V[]): V[] {
  if (level === 'NONE' || versions.length === 0) return [];
  return isTransitive(level) ? [...versions] : [versions[versions.length - 1]!];
}
