// Subjects and their versions: list, register, look up, read, delete.
// Paths and answers follow Confluent's REST API.

import type { App } from '@souk/chassis';
import type { WriteGuard } from './write-access.ts';
import {
  DeletedQuery,
  ErrorBody,
  LookupQuery,
  PermanentQuery,
  RegisteredSchema,
  RegisterQuery,
  SchemaRequest,
  SubjectParams,
  SubjectsQuery,
  SubjectVersion,
  SubjectVersionParams,
} from '../../contract.ts';
import type { Registration } from '../registry/registration.ts';
import type { Subjects } from '../registry/subjects.ts';
import { subjectOf, versionOf } from './params.ts';

const tags = ['subjects'];
const errors = { 404: ErrorBody, 409: ErrorBody, 422: ErrorBody };

export function registerSubjectRoutes(app: App, subjects: Subjects, registration: Registration, writes: WriteGuard): void {
  app.get(
    '/subjects',
    {
      schema: {
        tags,
        summary: 'Subjects with at least one live version (with deleted=true, soft-deleted ones too)',
        querystring: SubjectsQuery,
      },
    },
    async (req) =>
      subjects.list({
        deleted: req.query.deleted ?? false,
        ...(req.query.subjectPrefix ? { prefix: req.query.subjectPrefix } : {}),
      }),
  );

  app.post(
    '/subjects/:subject/versions',
    {
      preHandler: writes,
      schema: {
        tags,
        summary: 'Register a schema under a subject (the same schema again returns its id)',
        params: SubjectParams,
        querystring: RegisterQuery,
        body: SchemaRequest,
        response: { 200: RegisteredSchema, ...errors },
      },
    },
    async (req) => {
      const registered = await registration.register(subjectOf(req.params.subject), req.body, {
        normalize: req.query.normalize ?? false,
      });
      return { id: registered.id };
    },
  );

  app.post(
    '/subjects/:subject',
    {
      schema: {
        tags,
        summary: 'Is this schema registered under the subject? Answers its version',
        params: SubjectParams,
        querystring: LookupQuery,
        body: SchemaRequest,
        response: { 200: SubjectVersion, ...errors },
      },
    },
    async (req) =>
      registration.lookup(subjectOf(req.params.subject), req.body, {
        deleted: req.query.deleted ?? false,
        normalize: req.query.normalize ?? false,
      }),
  );

  app.get(
    '/subjects/:subject/versions',
    {
      schema: { tags, summary: 'Version numbers of a subject', params: SubjectParams, querystring: DeletedQuery },
    },
    async (req) => subjects.versions(subjectOf(req.params.subject), req.query.deleted ?? false),
  );

  app.get(
    '/subjects/:subject/versions/:version',
    {
      schema: {
        tags,
        summary: 'One version (a number or "latest")',
        params: SubjectVersionParams,
        querystring: DeletedQuery,
        response: { 200: SubjectVersion, ...errors },
      },
    },
    async (req) => subjects.version(subjectOf(req.params.subject), versionOf(req.params.version), req.query.deleted ?? false),
  );

  app.get(
    '/subjects/:subject/versions/:version/schema',
    {
      schema: { tags, summary: 'The schema of one version, unwrapped', params: SubjectVersionParams, querystring: DeletedQuery },
    },
    async (req, reply) => {
      const found = await subjects.version(
        subjectOf(req.params.subject),
        versionOf(req.params.version),
        req.query.deleted ?? false,
      );
      // The stored text is the JSON document itself: sent as is, not as a JSON string.
      return reply.send(found.schema);
    },
  );

  app.get(
    '/subjects/:subject/versions/:version/referencedby',
    {
      schema: {
        tags,
        summary: 'Ids of schemas that reference this version (always none: references are not supported)',
        params: SubjectVersionParams,
      },
    },
    async (req) => {
      await subjects.version(subjectOf(req.params.subject), versionOf(req.params.version), false);
      return [];
    },
  );

  app.delete(
    '/subjects/:subject',
    {
      preHandler: writes,
      schema: {
        tags,
        summary: 'Soft-delete every version (permanent=true afterwards deletes them for good)',
        params: SubjectParams,
        querystring: PermanentQuery,
      },
    },
    async (req) => subjects.deleteSubject(subjectOf(req.params.subject), req.query.permanent ?? false),
  );

  app.delete(
    '/subjects/:subject/versions/:version',
    {
      preHandler: writes,
      schema: {
        tags,
        summary: 'Soft-delete one version (permanent=true afterwards deletes it for good)',
        params: SubjectVersionParams,
        querystring: PermanentQuery,
      },
    },
    async (req) =>
      subjects.deleteVersion(subjectOf(req.params.subject), versionOf(req.params.version), req.query.permanent ?? false),
  );
}
