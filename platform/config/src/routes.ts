// The config server's HTTP API (platform/config/README.md): read and watch a service's settings, set
// them, roll them back, read their history, publish and read a settings schema. `?environment=<name>`
// reads what the service gets there (its base with the environment's document over it), and changes,
// rolls back or lists that environment's document.

import { Type } from 'typebox';
import {
  armNotification,
  chassisErrors,
  ChangeBody,
  CONFIG_MAX_WAIT_MS,
  ConfigVersion,
  ENVIRONMENT_NAME,
  HistoryEntry,
  PublishSchemaBody,
  RollbackBody,
  type App,
  type ConfigVersion as Version,
  type Notifier,
} from '@souk/chassis';
import type { ConfigAccess } from './access.ts';
import { diffSettings } from './diff.ts';
import { configErrors } from './errors.ts';
import { BASE, CONFIG_CHANNEL, type ConfigStore } from './store.ts';

const PREFIX = '/api/v1/config/services';
const ServiceParams = Type.Object({ service: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) });
const EnvironmentQuery = Type.Object({
  environment: Type.Optional(
    Type.String({
      pattern: ENVIRONMENT_NAME,
      description:
        "An environment: its document over the service's base (reads), or that document itself (changes). Absent: the base.",
    }),
  ),
});
const WatchQuery = Type.Object({
  ...EnvironmentQuery.properties,
  after: Type.Optional(
    Type.Integer({ minimum: 0, description: 'The version the caller has: the answer waits for a newer one (up to waitMs).' }),
  ),
  waitMs: Type.Integer({ minimum: 0, maximum: CONFIG_MAX_WAIT_MS, default: 0 }),
});
/** `If-Match: "3"` (or W/"3"): the version a change was made from, as an alternative to `basedOn`. */
function ifMatchVersion(header: string | undefined): number | undefined {
  const match = header ? /^(?:W\/)?"(\d+)"$/.exec(header.trim()) : null;
  return match ? Number(match[1]) : undefined;
}
const author = (caller: { email?: string; subject: string }) => caller.email ?? caller.subject;

/**
 * A change allowed under one subtree only (the gateway's `releases`): made on top of the version in
 * effect (`basedOn`, so nothing else can slip in between), and touching nothing outside `only`.
 */
async function checkConfined(
  store: ConfigStore,
  service: string,
  environment: string,
  settings: object,
  basedOn: number | undefined,
  only: string,
): Promise<void> {
  if (basedOn === undefined)
    throw chassisErrors.invalidRequest(`A change of ${only} alone must name the version it was made from (basedOn).`);
  const [seen, document] = await Promise.all([store.current(service, environment), store.document(service, environment)]);
  if (seen.version !== basedOn)
    throw configErrors.versionConflict({
      detail: `${service}'s settings are at version ${seen.version}, not ${basedOn}.`,
      extensions: { current: seen.version },
    });
  const outside = diffSettings(document.settings, settings).filter((c) => c.path !== only && !c.path.startsWith(`${only}/`));
  if (outside.length > 0)
    throw chassisErrors.forbidden(`This caller may change ${only} only, not ${outside.map((c) => c.path).join(', ')}.`);
}

export function registerConfigRoutes(
  app: App,
  deps: { store: ConfigStore; access: ConfigAccess; notifier: Notifier; closing: AbortSignal },
): void {
  const { store, access } = deps;

  /** The version in effect, or, when it is `after`, the next one within `waitMs` (the same one after that). */
  async function watch(
    service: string,
    environment: string,
    after: number | undefined,
    waitMs: number,
    gone: AbortSignal,
  ): Promise<Version> {
    const now = await store.current(service, environment);
    if (after === undefined || now.version !== after || waitMs === 0) return now;
    // Listen before reading again: a change committed between the two reads must not be missed.
    const woken = armNotification(deps.notifier, CONFIG_CHANNEL, waitMs, gone, (payload) => payload === service);
    const again = await store.current(service, environment).catch((err: unknown) => {
      woken.cancel();
      throw err;
    });
    if (again.version !== after) {
      woken.cancel();
      return again;
    }
    await woken.done;
    return gone.aborted ? again : store.current(service, environment);
  }

  app.get(
    PREFIX,
    {
      schema: {
        response: {
          200: Type.Object({
            services: Type.Array(
              Type.Object({ service: Type.String(), version: Type.Integer(), environments: Type.Array(Type.String()) }),
            ),
          }),
        },
      },
    },
    async (req) => {
      await access.admin(req);
      return { services: await store.services() };
    },
  );

  app.get(
    `${PREFIX}/:service`,
    { schema: { params: ServiceParams, querystring: WatchQuery, response: { 200: ConfigVersion } } },
    async (req, reply) => {
      const { service } = req.params;
      await access.serviceOrAdmin(req, service);
      const gone = new AbortController();
      const hangUp = () => gone.abort();
      reply.raw.once('close', hangUp);
      deps.closing.addEventListener('abort', hangUp, { once: true });
      if (deps.closing.aborted) hangUp();
      try {
        const version = await watch(service, req.query.environment ?? BASE, req.query.after, req.query.waitMs, gone.signal);
        void reply.header('etag', `"${version.version}"`);
        return version;
      } finally {
        deps.closing.removeEventListener('abort', hangUp);
      }
    },
  );

  app.put(
    `${PREFIX}/:service`,
    { schema: { params: ServiceParams, querystring: EnvironmentQuery, body: ChangeBody, response: { 200: ConfigVersion } } },
    async (req, reply) => {
      const { service } = req.params;
      const environment = req.query.environment ?? BASE;
      const { caller, only } = await access.changer(req, service);
      const { settings, reason } = req.body;
      const basedOn = req.body.basedOn ?? ifMatchVersion(req.headers['if-match']);
      if (only !== undefined) await checkConfined(store, service, environment, settings, basedOn, only);
      const version = await store.change(service, environment, { settings, reason, author: author(caller), basedOn });
      req.log.info(
        { service, environment: req.query.environment, version: version.version, author: version.author, reason },
        'settings changed',
      );
      void reply.header('etag', `"${version.version}"`);
      return version;
    },
  );

  app.post(
    `${PREFIX}/:service/rollback`,
    { schema: { params: ServiceParams, querystring: EnvironmentQuery, body: RollbackBody, response: { 200: ConfigVersion } } },
    async (req) => {
      const caller = await access.admin(req);
      const environment = req.query.environment ?? BASE;
      const version = await store.rollback(req.params.service, environment, { ...req.body, author: author(caller) });
      req.log.info(
        {
          service: req.params.service,
          environment: req.query.environment,
          version: version.version,
          rollbackOf: req.body.version,
          author: version.author,
        },
        'settings rolled back',
      );
      return version;
    },
  );

  app.get(
    `${PREFIX}/:service/history`,
    {
      schema: {
        params: ServiceParams,
        querystring: EnvironmentQuery,
        response: { 200: Type.Object({ versions: Type.Array(HistoryEntry) }) },
      },
    },
    async (req) => {
      await access.admin(req);
      return { versions: await store.history(req.params.service, req.query.environment ?? BASE) };
    },
  );

  app.get(
    `${PREFIX}/:service/environments/:environment`,
    {
      schema: {
        params: Type.Object({ ...ServiceParams.properties, environment: Type.String({ pattern: ENVIRONMENT_NAME }) }),
        response: { 200: ConfigVersion },
      },
    },
    async (req) => {
      const { service, environment } = req.params;
      await access.serviceOrAdmin(req, service);
      return store.document(service, environment);
    },
  );

  app.put(`${PREFIX}/:service/schema`, { schema: { params: ServiceParams, body: PublishSchemaBody } }, async (req, reply) => {
    const { service } = req.params;
    await access.serviceOrAdmin(req, service);
    await store.publishSchema(service, req.body.schema, req.headers.authorization ? 'admin' : service);
    return reply.code(204).send();
  });

  app.get(`${PREFIX}/:service/schema`, { schema: { params: ServiceParams } }, async (req) => {
    const { service } = req.params;
    await access.serviceOrAdmin(req, service);
    const schema = await store.schemaOf(service);
    return { service, schema: schema ?? null };
  });
}
