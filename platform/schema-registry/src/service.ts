// The schema registry service: configuration, migrations, and the Confluent
// REST routes in their own Fastify scope, wired onto the chassis.

import { defineService } from '@souk/chassis';
import { migrations } from '../migrations/index.ts';

import type { SchemaRegistryDb } from './db.ts';
import { speakConfluent } from './http/confluent-scope.ts';
import { registerCompatibilityRoutes, registerConfigRoutes, registerSchemaRoutes } from './http/registry-routes.ts';
import { registerSubjectRoutes } from './http/subject-routes.ts';
import { writeAccess } from './http/write-access.ts';
import { createLevels } from './registry/levels.ts';
import { createRegistryMetrics } from './registry/metrics.ts';
import { createRegistration } from './registry/registration.ts';
import { createSubjects } from './registry/subjects.ts';
import { SchemaRegistryConfig } from './config.ts';

export const schemaRegistryService = defineService<SchemaRegistryDb>()({
  name: 'schema-registry',
  version: '0.1.0',
  config: SchemaRegistryConfig,
  migrations,
  async setup(ctx) {
    const { db } = ctx;
    const levels = createLevels(db, ctx.config.SCHEMA_REGISTRY_DEFAULT_COMPATIBILITY);
    const subjects = createSubjects(db);
    const registration = createRegistration({
      db,
      levels,
      metrics: createRegistryMetrics(ctx.metrics),
      log: ctx.log,
      openContentModel: ctx.config.SCHEMA_REGISTRY_OPEN_CONTENT_MODEL,
    });
    // An encapsulated scope: its parsers and error handler (Confluent's format) stay off the chassis's own routes.
    // Writes need an admin's or a producer's token; reads stay open to every service.
    const writes = writeAccess(ctx.auth);
    await ctx.app.register(async (scope) => {
      speakConfluent(scope);
      registerSubjectRoutes(scope, subjects, registration, writes);
      registerSchemaRoutes(scope, subjects);
      registerCompatibilityRoutes(scope, registration);
      registerConfigRoutes(scope, levels, writes);
    });
  },
});
