// Registering schemas under subjects, looking them up, and compatibility
// checks on request. A registration runs in one transaction holding the
// subject's lock, so concurrent identical registrations yield one version.

import type { Logger } from '@souk/chassis';
import {
  checkAgainst,
  checkRegistration,
  versionsToCheck,
  type CheckResult,
  type CompatibilityLevel,
  type OpenContentModelPolicy,
  type SchemaVersion,
} from '../compatibility/index.ts';
import type { SchemaRegistryDatabase } from '../db.ts';
import { registryErrors } from '../errors.ts';
import type { Levels } from './levels.ts';
import type { RegistryMetrics } from './metrics.ts';
import { canonicalize, parseSchema, prepareSchema, type SchemaRequest } from './schema-text.ts';
import * as store from './registry-store.ts';
import { pickVersion, subjectNotFound, toView, versionNotFound, type VersionSpec, type VersionView } from './subjects.ts';

export interface RegistrationDeps {
  db: SchemaRegistryDatabase;
  levels: Levels;
  metrics: RegistryMetrics;
  log: Logger;
  openContentModel: OpenContentModelPolicy;
}

export interface Registered {
  id: number;
  version: number;
  /** False when the subject already held this schema (the call changed nothing). */
  created: boolean;
}

export interface CompatibilityAnswer {
  is_compatible: boolean;
  messages?: string[];
}

export interface Registration {
  register(subject: string, request: SchemaRequest, options?: { normalize?: boolean }): Promise<Registered>;
  lookup(subject: string, request: SchemaRequest, options?: { deleted?: boolean; normalize?: boolean }): Promise<VersionView>;
  /** Against one version (`spec`), or, without one, the versions a registration would be checked against. */
  check(
    subject: string,
    spec: VersionSpec | undefined,
    request: SchemaRequest,
    options?: { verbose?: boolean; normalize?: boolean },
  ): Promise<CompatibilityAnswer>;
}

export function createRegistration(deps: RegistrationDeps): Registration {
  const { db, levels, metrics, log } = deps;
  const diffOptions = { openContentModel: deps.openContentModel };

  /** The stored version among `rows` holding this schema (a live one first), compared in canonical form. */
  const sameSchema = (rows: readonly store.VersionRow[], text: string, normalize: boolean) =>
    [...rows]
      .reverse()
      .sort((a, b) => Number(a.deleted) - Number(b.deleted))
      .find((r) => (normalize ? canonicalize(r.schema, true) : r.schema) === text);

  const register: Registration['register'] = async (subject, request, options = {}) => {
    const normalize = options.normalize ?? false;
    let prepared;
    try {
      prepared = prepareSchema(request, { normalize });
    } catch (err) {
      metrics.registration('invalid');
      throw err;
    }
    try {
      const result = await db.transaction().execute(async (trx) => {
        await store.lockSubject(trx, subject);
        const live = await store.versionsOf(trx, subject, false);
        const existing = sameSchema(live, prepared.text, normalize);
        if (existing) return { id: existing.id, version: existing.version, created: false };
        const level = await levels.effective(subject, trx);
        const verdict = checkRegistration(level, prepared.value, live.map(asSchemaVersion), diffOptions);
        if (!verdict.compatible) throw incompatible(subject, level, verdict);
        const id = await store.schemaIdFor(trx, prepared.text, prepared.fingerprint);
        const version = await store.addVersion(trx, subject, id);
        return { id, version, created: true };
      });
      metrics.registration(result.created ? 'created' : 'existing');
      if (result.created)
        log.info({ subject, version: result.version, schemaId: result.id }, `registered ${subject} version ${result.version}`);
      return result;
    } catch (err) {
      metrics.registration(registryErrors.incompatibleSchema.is(err) ? 'incompatible' : 'error');
      throw err;
    }
  };

  return {
    register,
    async lookup(subject, request, options = {}) {
      const normalize = options.normalize ?? false;
      const prepared = parseSchema(request, { normalize });
      const rows = await store.versionsOf(db, subject, options.deleted ?? false);
      if (rows.length === 0) throw subjectNotFound(subject);
      const found = sameSchema(rows, prepared.text, normalize);
      if (!found) throw registryErrors.schemaNotFound('Schema not found');
      return toView(found);
    },
    async check(subject, spec, request, options = {}) {
      const prepared = prepareSchema(request, { normalize: options.normalize ?? false });
      const rows = await store.versionsOf(db, subject, false);
      const level = await levels.effective(subject);
      let verdict: CheckResult;
      if (spec === undefined) {
        // A subject with no version yet accepts any first schema.
        verdict = checkAgainst(level, prepared.value, versionsToCheck(level, rows.map(asSchemaVersion)), diffOptions);
      } else {
        if (rows.length === 0) throw subjectNotFound(subject);
        const row = pickVersion(rows, spec);
        if (!row) throw versionNotFound(spec);
        verdict = checkAgainst(level, prepared.value, [asSchemaVersion(row)], diffOptions);
      }
      metrics.compatibilityCheck(verdict.compatible);
      return options.verbose
        ? { is_compatible: verdict.compatible, messages: verdict.messages }
        : { is_compatible: verdict.compatible };
    },
  };
}

function asSchemaVersion(row: store.VersionRow): SchemaVersion {
  return { version: row.version, schema: JSON.parse(row.schema) };
}

/** Confluent's 409 message: the reasons, then which versions and level refused the schema. */
function incompatible(subject: string, level: CompatibilityLevel, verdict: CheckResult) {
  const versions = [...new Set(verdict.incompatibilities.map((i) => i.version))];
  const details = [...verdict.messages, ...versions.map((v) => `{oldSchemaVersion: ${v}}`), `{compatibility: '${level}'}`];
  return registryErrors.incompatibleSchema(
    `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${details.join(', ')}]`,
  );
}
