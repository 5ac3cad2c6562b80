// The console backend's HTTP API (platform/console/README.md), admins only, reached through the gateway at
// /api/v1/console: instances (with the devhost's controls), sagas, the event layer and its dead letters,
// and the schema registry's subjects. Reads fan out to the services' admin listeners; what a service
// answers with a problem (a saga not found, a redrive that failed again) is passed on as it answered.

import { Type } from 'typebox';
import { type App, type Auth, type Discovery, type ServiceClient } from '@souk/chassis';
import { Unreachable, type AdminAnswer, type AdminClient } from './admin-client.ts';
import { type DevhostControl, type ProcessView } from './devhost-control.ts';
import { consoleErrors } from './errors.ts';
import { mergeInstances, probeInstance } from './instances.ts';

const PREFIX = '/api/v1/console';
const ADMIN = { roles: ['admin'] };

export interface RouteDeps {
  auth: Auth;
  discovery: Discovery;
  admin: AdminClient;
  control: DevhostControl | undefined;
  schemaRegistry: ServiceClient;
}

const ServiceName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$', description: 'A service name, e.g. orders' });
const SagaStatus = Type.Union(
  ['RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'PARKED'].map((s) => Type.Literal(s)),
  { description: 'Only sagas in this status' },
);
const SagaParams = Type.Object({ service: ServiceName, id: Type.String({ minLength: 1, maxLength: 200 }) });
const LetterParams = Type.Object({ service: ServiceName, id: Type.Integer({ minimum: 1 }) });
const Subject = Type.String({ minLength: 1, maxLength: 255 });

/** The query string of `values`, leaving out undefined ones. */
function query(values: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function registerConsoleRoutes(app: App, deps: RouteDeps): void {
  const admin = deps.auth.required(ADMIN);
  const auth = (req: { headers: { authorization?: string | undefined } }) => ({ authorization: req.headers.authorization });

  /** One service's admin route; its problem (4xx) is thrown on to the caller as it came. */
  async function ofService(
    service: string,
    path: string,
    req: { headers: { authorization?: string | undefined } },
    method: 'GET' | 'POST' = 'GET',
  ): Promise<AdminAnswer> {
    let answer: AdminAnswer | undefined;
    try {
      answer = await deps.admin.callService(service, path, { ...auth(req), method });
    } catch (err) {
      if (!(err instanceof Unreachable)) throw err;
      throw consoleErrors.unreachable({ detail: `${err.message}.`, headers: { 'retry-after': '2' } });
    }
    if (!answer) throw consoleErrors.serviceNotFound({ detail: `The registry lists no instance of ${service}.` });
    return answer;
  }

  /**
   * A list from every service (or `service` alone): the `key` array of each answer, each item marked with
   * its service, newest first by `newest`, `limit` at most. A service without the route answers 404 and is
   * simply not listed (only orders runs sagas); one that does not answer is named in `unreachable`.
   */
  async function gather(
    path: string,
    key: string,
    newest: string,
    limit: number,
    service: string | undefined,
    req: { headers: { authorization?: string | undefined } },
  ) {
    const { answers, unreachable } = await deps.admin.fanOut(path, {
      ...auth(req),
      ...(service ? { skip: (s: string) => s !== service } : {}),
    });
    const items = answers
      .flatMap(({ service: from, answer }) => {
        const list = answer.status === 200 && isObject(answer.body) ? answer.body[key] : undefined;
        return Array.isArray(list)
          ? list.filter(isObject).map((item): Record<string, unknown> => ({ ...item, service: from }))
          : [];
      })
      .sort((a, b) => String(b[newest]).localeCompare(String(a[newest])))
      .slice(0, limit);
    return { items, unreachable };
  }

  /** Sends a service's answer on: its JSON, or its problem document with its status. */
  const relay = (reply: { code(n: number): { type(t: string): { send(b: unknown): unknown } } }, answer: AdminAnswer) =>
    reply
      .code(answer.status)
      .type(answer.status >= 400 ? 'application/problem+json' : 'application/json')
      .send(answer.body);

  app.get(
    `${PREFIX}/instances`,
    { onRequest: admin, schema: { summary: 'Every instance: registry entry, process, health, breakers and bulkheads' } },
    async () => {
      const registered = deps.discovery.services().flatMap((s) => deps.discovery.instances(s));
      let processes: ProcessView[] | undefined;
      let controlError: string | null = null;
      if (deps.control) {
        try {
          processes = await deps.control.processes();
        } catch (err) {
          controlError = err instanceof Error ? err.message : String(err);
        }
      }
      const rows = mergeInstances(registered, processes);
      return {
        control: processes !== undefined,
        ...(controlError ? { controlError } : {}),
        instances: await Promise.all(rows.map((row) => probeInstance(deps.admin, row))),
      };
    },
  );

  app.post(
    `${PREFIX}/instances/:instanceId/:action`,
    {
      onRequest: admin,
      schema: {
        summary: 'Kill (SIGKILL, stays down), pause (SIGSTOP), resume or restart an instance the devhost runs',
        params: Type.Object({
          instanceId: Type.String({ pattern: '^[a-z][a-z0-9-]{0,99}$' }),
          action: Type.Union([Type.Literal('kill'), Type.Literal('pause'), Type.Literal('resume'), Type.Literal('restart')]),
        }),
      },
    },
    async (req) => {
      if (!deps.control)
        throw consoleErrors.noControl({ detail: 'No devhost runs these processes (DEVHOST_CONTROL_URL is unset).' });
      const { instanceId, action } = req.params;
      const done = await deps.control.act(instanceId, action);
      req.log.warn({ instance: instanceId, action, by: req.identity?.subject }, `instance ${action} from the console`);
      return done;
    },
  );

  app.get(
    `${PREFIX}/sagas`,
    {
      onRequest: admin,
      schema: {
        summary: "Sagas of every service that runs some (orders' checkout), newest first",
        querystring: Type.Object({
          status: Type.Optional(SagaStatus),
          service: Type.Optional(ServiceName),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
      },
    },
    async (req) => {
      const { status, service, limit } = req.query;
      const path = `/_admin/sagas${query({ status, limit })}`;
      const sagas = await gather(path, 'sagas', 'updatedAt', limit, service, req);
      return { sagas: sagas.items, unreachable: sagas.unreachable };
    },
  );

  app.get(
    `${PREFIX}/sagas/:service/:id`,
    { onRequest: admin, schema: { summary: 'One saga with its steps and log', params: SagaParams } },
    async (req, reply) => {
      const answer = await ofService(req.params.service, `/_admin/sagas/${encodeURIComponent(req.params.id)}`, req);
      if (answer.status === 200 && isObject(answer.body)) return { service: req.params.service, ...answer.body };
      return relay(reply, answer);
    },
  );

  app.post(
    `${PREFIX}/sagas/:service/:id/retry`,
    { onRequest: admin, schema: { summary: 'Retry a parked saga', params: SagaParams } },
    async (req, reply) => {
      const answer = await ofService(req.params.service, `/_admin/sagas/${encodeURIComponent(req.params.id)}/retry`, req, 'POST');
      req.log.warn(
        { saga: req.params.id, service: req.params.service, by: req.identity?.subject },
        'saga retry from the console',
      );
      return relay(reply, answer);
    },
  );

  app.get(
    `${PREFIX}/events`,
    {
      onRequest: admin,
      schema: { summary: "Every service's event layer: what it publishes and consumes, its outbox and cursors" },
    },
    async (req) => {
      const { answers, unreachable } = await deps.admin.fanOut('/_admin/events', auth(req));
      const services = answers
        .filter((a) => a.answer.status === 200 && isObject(a.answer.body))
        .map((a) => ({ service: a.service, status: a.answer.body }))
        .sort((a, b) => a.service.localeCompare(b.service));
      return { services, unreachable };
    },
  );

  app.get(
    `${PREFIX}/dead-letters`,
    {
      onRequest: admin,
      schema: {
        summary: 'Parked events of every consumer (or one), newest first',
        querystring: Type.Object({
          service: Type.Optional(ServiceName),
          includeRedriven: Type.Boolean({ default: false }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
      },
    },
    async (req) => {
      const { service, includeRedriven, limit } = req.query;
      const letters = await gather(
        `/_admin/events/dead-letters${query({ includeRedriven, limit })}`,
        'deadLetters',
        'deadAt',
        limit,
        service,
        req,
      );
      return { deadLetters: letters.items, unreachable: letters.unreachable };
    },
  );

  app.get(
    `${PREFIX}/dead-letters/:service/:id`,
    { onRequest: admin, schema: { summary: 'One dead letter with its CloudEvent', params: LetterParams } },
    async (req, reply) => {
      const answer = await ofService(req.params.service, `/_admin/events/dead-letters/${req.params.id}`, req);
      if (answer.status === 200 && isObject(answer.body)) return { service: req.params.service, ...answer.body };
      return relay(reply, answer);
    },
  );

  app.post(
    `${PREFIX}/dead-letters/:service/:id/redrive`,
    { onRequest: admin, schema: { summary: 'Hand a dead letter to its handler again', params: LetterParams } },
    async (req, reply) => {
      const answer = await ofService(req.params.service, `/_admin/events/dead-letters/${req.params.id}/redrive`, req, 'POST');
      req.log.warn(
        { service: req.params.service, deadLetterId: req.params.id, status: answer.status, by: req.identity?.subject },
        'dead letter redriven from the console',
      );
      return relay(reply, answer);
    },
  );

  app.get(
    `${PREFIX}/schemas`,
    { onRequest: admin, schema: { summary: "The schema registry's subjects, their versions and compatibility" } },
    async () => {
      const registry = deps.schemaRegistry;
      const subjects = (await registry.request<string[]>({ method: 'GET', path: '/subjects' })).body ?? [];
      const rows = await Promise.all(
        subjects.map(async (subject) => {
          const encoded = encodeURIComponent(subject);
          const [versions, config] = await Promise.all([
            registry.request<number[]>({ method: 'GET', path: `/subjects/${encoded}/versions` }),
            registry.request<{ compatibilityLevel: string }>({
              method: 'GET',
              path: `/config/${encoded}`,
              query: { defaultToGlobal: 'true' },
            }),
          ]);
          return { subject, versions: versions.body, compatibility: config.body.compatibilityLevel };
        }),
      );
      return { subjects: rows.sort((a, b) => a.subject.localeCompare(b.subject)) };
    },
  );

  app.get(
    `${PREFIX}/schemas/:subject/versions/:version`,
    {
      onRequest: admin,
      schema: {
        summary: 'One version of a subject: its id and JSON Schema',
        params: Type.Object({ subject: Subject, version: Type.Integer({ minimum: 1 }) }),
      },
    },
    async (req) =>
      (
        await deps.schemaRegistry.request({
          method: 'GET',
          path: `/subjects/${encodeURIComponent(req.params.subject)}/versions/${req.params.version}`,
        })
      ).body,
  );
}
