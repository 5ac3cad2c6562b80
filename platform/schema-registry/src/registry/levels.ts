// Compatibility levels as configured: the global one (stored, else the
// service default) and per-subject overrides, which win when present.

import { parseCompatibilityLevel, type CompatibilityLevel } from '../compatibility/index.ts';
import type { SchemaRegistryDatabase, SchemaRegistryTransaction } from '../db.ts';
import { registryErrors } from '../errors.ts';
import { deleteLevel, GLOBAL, levelOf, setLevel, versionsOf } from './registry-store.ts';

export const INVALID_LEVEL_MESSAGE =
  'Invalid compatibility level. Valid values are none, backward, backward_transitive, forward, forward_transitive, full, and full_transitive';

export interface Levels {
  global(): Promise<CompatibilityLevel>;
  setGlobal(level: unknown): Promise<CompatibilityLevel>;
  /** Back to the service default; returns the level that was in force. */
  resetGlobal(): Promise<CompatibilityLevel>;
  /** The subject's own level; 40408 when it has none, unless `defaultToGlobal`. */
  ofSubject(subject: string, defaultToGlobal: boolean): Promise<CompatibilityLevel>;
  /**
   * The level registrations of the subject are checked with. A registration
   * passes its transaction: it holds the subject's lock, and a second pool
   * connection could be out of reach while other registrations wait on that lock.
   */
  effective(subject: string, trx?: SchemaRegistryTransaction): Promise<CompatibilityLevel>;
  setSubject(subject: string, level: unknown): Promise<CompatibilityLevel>;
  /** Removes the subject's own level; returns it. */
  deleteSubject(subject: string): Promise<CompatibilityLevel>;
}

export function createLevels(db: SchemaRegistryDatabase, defaultLevel: CompatibilityLevel): Levels {
  const stored = async (subject: string, on: SchemaRegistryDatabase = db) => parseCompatibilityLevel(await levelOf(on, subject));
  const global = async (on: SchemaRegistryDatabase = db) => (await stored(GLOBAL, on)) ?? defaultLevel;
  const parse = (level: unknown): CompatibilityLevel => {
    const parsed = parseCompatibilityLevel(level);
    if (!parsed) throw registryErrors.invalidCompatibilityLevel(INVALID_LEVEL_MESSAGE);
    return parsed;
  };
  return {
    global: () => global(),
    async setGlobal(level) {
      const parsed = parse(level);
      await setLevel(db, GLOBAL, parsed);
      return parsed;
    },
    async resetGlobal() {
      const before = await global();
      await deleteLevel(db, GLOBAL);
      return before;
    },
    async ofSubject(subject, defaultToGlobal) {
      const own = await stored(subject);
      if (own) return own;
      if (defaultToGlobal) return global();
      throw registryErrors.subjectConfigNotFound(`Subject '${subject}' does not have subject-level compatibility configured`);
    },
    async effective(subject, trx) {
      return (await stored(subject, trx)) ?? global(trx);
    },
    async setSubject(subject, level) {
      const parsed = parse(level);
      await setLevel(db, subject, parsed);
      return parsed;
    },
    async deleteSubject(subject) {
      const removed = parseCompatibilityLevel(await deleteLevel(db, subject));
      if (removed) return removed;
      if ((await versionsOf(db, subject, true)).length === 0)
        throw registryErrors.subjectNotFound(`Subject '${subject}' not found.`);
      throw registryErrors.subjectConfigNotFound(`Subject '${subject}' does not have subject-level compatibility configured`);
    },
  };
}
