// Schemas by global id, compatibility checks, compatibility levels (config)
// and the read-only mode endpoint. Paths and answers follow Confluent's REST API.

import type { App } from '@souk/chassis';
import type { WriteGuard } from './write-access.ts';
import {
  CompatibilityQuery,
  CompatibilityResult,
  Config,
  ConfigQuery,
  ConfigUpdate,
  ConfigUpdated,
  DeletedQuery,
  ErrorBody,
  IdParams,
  Mode,
  SchemaById,
  SchemaRequest,
  SubjectParams,
  SubjectVersionPair,
  SubjectVersionParams,
} from '../../contract.ts';
import { Type } from 'typebox';
import type { Levels } from '../registry/levels.ts';
import type { Registration } from '../registry/registration.ts';
import { SCHEMA_TYPE } from '../registry/schema-text.ts';
import type { Subjects } from '../registry/subjects.ts';
import { subjectOf, versionOf } from './params.ts';

const errors = { 404: ErrorBody, 422: ErrorBody };

export function registerSchemaRoutes(app: App, subjects: Subjects): void {
  const tags = ['schemas'];
  app.get(
    '/schemas/types',
    { schema: { tags, summary: 'Schema types this registry stores', response: { 200: Type.Array(Type.String()) } } },
    async () => [SCHEMA_TYPE],
  );

  app.get(
    '/schemas/ids/:id',
    {
      schema: {
        tags,
        summary: 'A schema by its global id (soft-deleted versions keep it readable)',
        params: IdParams,
        response: { 200: SchemaById, ...errors },
      },
    },
    async (req) => subjects.schema(req.params.id),
  );

  app.get(
    '/schemas/ids/:id/schema',
    {
      schema: { tags, summary: 'A schema by its global id, unwrapped', params: IdParams },
    },
    async (req, reply) => reply.send((await subjects.schema(req.params.id)).schema),
  );

  app.get(
    '/schemas/ids/:id/versions',
    {
      schema: {
        tags,
        summary: 'Subject-version pairs that use the schema',
        params: IdParams,
        querystring: DeletedQuery,
        response: { 200: Type.Array(SubjectVersionPair), ...errors },
      },
    },
    async (req) => subjects.usesOfSchema(req.params.id, req.query.deleted ?? false),
  );

  app.get(
    '/schemas/ids/:id/subjects',
    {
      schema: {
        tags,
        summary: 'Subjects that use the schema',
        params: IdParams,
        querystring: DeletedQuery,
        response: { 200: Type.Array(Type.String()), ...errors },
      },
    },
    async (req) => [...new Set((await subjects.usesOfSchema(req.params.id, req.query.deleted ?? false)).map((u) => u.subject))],
  );
}

export function registerCompatibilityRoutes(app: App, registration: Registration): void {
  const tags = ['compatibility'];
  app.post(
    '/compatibility/subjects/:subject/versions/:version',
    {
      schema: {
        tags,
        summary: "Would the schema be compatible with this version under the subject's level?",
        params: SubjectVersionParams,
        querystring: CompatibilityQuery,
        body: SchemaRequest,
        response: { 200: CompatibilityResult, ...errors },
      },
    },
    async (req) =>
      registration.check(subjectOf(req.params.subject), versionOf(req.params.version), req.body, {
        verbose: req.query.verbose ?? false,
        normalize: req.query.normalize ?? false,
      }),
  );

  app.post(
    '/compatibility/subjects/:subject/versions',
    {
      schema: {
        tags,
        summary: 'Would the schema be registered? Checked against the latest version, or all of them for *_TRANSITIVE levels',
        params: SubjectParams,
        querystring: CompatibilityQuery,
        body: SchemaRequest,
        response: { 200: CompatibilityResult, ...errors },
      },
    },
    async (req) =>
      registration.check(subjectOf(req.params.subject), undefined, req.body, {
        verbose: req.query.verbose ?? false,
        normalize: req.query.normalize ?? false,
      }),
  );
}

export function registerConfigRoutes(app: App, levels: Levels, writes: WriteGuard): void {
  const tags = ['config'];
  app.get('/config', { schema: { tags, summary: 'The global compatibility level', response: { 200: Config } } }, async () => ({
    compatibilityLevel: await levels.global(),
  }));

  app.put(
    '/config',
    {
      preHandler: writes,
      schema: {
        tags,
        summary: 'Set the global compatibility level',
        body: ConfigUpdate,
        response: { 200: ConfigUpdated, ...errors },
      },
    },
    async (req) => ({ compatibility: await levels.setGlobal(req.body.compatibility) }),
  );

  app.delete(
    '/config',
    {
      preHandler: writes,
      schema: {
        tags,
        summary: 'Reset the global level to the service default; answers the level it replaced',
        response: { 200: Config },
      },
    },
    async () => ({ compatibilityLevel: await levels.resetGlobal() }),
  );

  app.get(
    '/config/:subject',
    {
      schema: {
        tags,
        summary: "A subject's own level (40408 when it has none, unless defaultToGlobal=true)",
        params: SubjectParams,
        querystring: ConfigQuery,
        response: { 200: Config, ...errors },
      },
    },
    async (req) => ({
      compatibilityLevel: await levels.ofSubject(subjectOf(req.params.subject), req.query.defaultToGlobal ?? false),
    }),
  );

  app.put(
    '/config/:subject',
    {
      preHandler: writes,
      schema: {
        tags,
        summary: "Set a subject's level (the subject need not exist yet)",
        params: SubjectParams,
        body: ConfigUpdate,
        response: { 200: ConfigUpdated, ...errors },
      },
    },
    async (req) => ({ compatibility: await levels.setSubject(subjectOf(req.params.subject), req.body.compatibility) }),
  );

  app.delete(
    '/config/:subject',
    {
      preHandler: writes,
      schema: {
        tags,
        summary: "Remove a subject's own level (it follows the global one again); answers the level removed",
        params: SubjectParams,
        response: { 200: Config, ...errors },
      },
    },
    async (req) => ({ compatibilityLevel: await levels.deleteSubject(subjectOf(req.params.subject)) }),
  );

  // Modes (READONLY, IMPORT) are not implemented: the registry is always READWRITE, which tools may ask.
  app.get('/mode', { schema: { tags, summary: 'Always READWRITE', response: { 200: Mode } } }, async () => ({
    mode: 'READWRITE' as const,
  }));
  app.get(
    '/mode/:subject',
    { schema: { tags, summary: 'Always READWRITE', params: SubjectParams, response: { 200: Mode } } },
    async (req) => {
      subjectOf(req.params.subject);
      return { mode: 'READWRITE' as const };
    },
  );
}
