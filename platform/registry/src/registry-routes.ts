// The registry's HTTP API (packages/chassis/README.md, "Registry HTTP API"):
// register, heartbeat, deregister, list, and a long-poll watch on the index.

import { callerIdentity, chassisErrors, type ServiceContext } from '@souk/chassis';
import {
  DEFAULT_WAIT_SECONDS,
  InstanceParams,
  Registration,
  RegistrationAccepted,
  ServiceInstances,
  ServiceParams,
  ServicesSnapshot,
  WatchQuery,
} from '../contract.ts';
import { registryErrors } from './errors.ts';
import { checkCapacity, checkMetadata, type RegistryLimits, type WatcherGate } from './limits.ts';
import { checkOwnership, type WriteClaim } from './ownership.ts';
import type { RegistryMetrics } from './registry-metrics.ts';
import type { RegistryStore } from './registry-store.ts';

export interface RoutesOptions {
  store: RegistryStore;
  metrics: RegistryMetrics;
  heartbeatIntervalSeconds: number;
  limits: RegistryLimits;
  watchers: WatcherGate;
  /** Aborted when the service starts shutting down: held watches answer at once. */
  shutdown: AbortSignal;
  /**
   * True with mutual TLS: an instance writes only its own entry (ownership.ts). False without TLS, where
   * no caller has an identity to bind to.
   */
  bound: boolean;
}

const tags = ['registry'];

export function registerRoutes(ctx: Pick<ServiceContext, 'app' | 'log'>, options: RoutesOptions): void {
  const { app, log } = ctx;
  const { store, metrics, heartbeatIntervalSeconds, shutdown, limits, watchers, bound } = options;
  const ttlSeconds = store.ttlMs / 1000;
  // The caller is checked before the entry is looked at: a refused caller learns nothing from a 404, 422 or 429.
  const checkCaller = (req: Parameters<typeof callerIdentity>[0], claim: WriteClaim): void => {
    if (bound) checkOwnership(callerIdentity(req), claim, store.serviceOf(claim.instanceId));
  };

  const snapshot = (): ServicesSnapshot => ({ index: store.index(), services: store.services() });

  app.post(
    '/api/v1/instances',
    {
      schema: {
        tags,
        summary: 'Register an instance (the same instanceId replaces the earlier registration)',
        body: Registration,
        response: { 201: RegistrationAccepted },
      },
    },
    async (req, reply) => {
      const body = req.body;
      checkCaller(req, body);
      // The schema pattern keeps out most junk; URL parsing catches the rest
      // (e.g. an unclosed IPv6 bracket) so clients never receive an unusable URL.
      if (!URL.canParse(body.url)) {
        throw chassisErrors.invalidRequest({
          detail: `url ${JSON.stringify(body.url)} is not a valid URL`,
          extensions: { errors: [{ in: 'body', path: '/url', message: 'must be a valid http(s) URL' }] },
        });
      }
      checkMetadata(body.metadata, limits);
      checkCapacity(body, store, limits, ttlSeconds);
      const previous = store.serviceOf(body.instanceId);
      metrics.registered(body.service);
      if (store.register(body)) {
        log.info(
          { instanceId: body.instanceId, service: body.service, url: body.url, version: body.version },
          previous
            ? `re-registered ${body.instanceId} (${body.service})`
            : `registered ${body.instanceId} (${body.service}) at ${body.url}`,
        );
      }
      reply.code(201);
      return { instanceId: body.instanceId, ttlSeconds, heartbeatIntervalSeconds };
    },
  );

  // Heartbeats and watches arrive every few seconds from every instance: log only their failures.
  app.put(
    '/api/v1/instances/:instanceId/heartbeat',
    {
      logLevel: 'warn',
      schema: { tags, summary: "Renew an instance's lease", params: InstanceParams },
    },
    async (req, reply) => {
      const { instanceId } = req.params;
      checkCaller(req, { instanceId });
      if (!store.heartbeat(instanceId)) {
        throw registryErrors.instanceUnknown(`Instance ${instanceId} is not registered; register it again.`);
      }
      reply.code(204);
      return reply.send();
    },
  );

  app.delete(
    '/api/v1/instances/:instanceId',
    {
      schema: { tags, summary: 'Deregister an instance (succeeds when it is already gone)', params: InstanceParams },
    },
    async (req, reply) => {
      const { instanceId } = req.params;
      checkCaller(req, { instanceId });
      const service = store.serviceOf(instanceId);
      if (store.deregister(instanceId)) log.info({ instanceId, service }, `deregistered ${instanceId} (${service})`);
      reply.code(204);
      return reply.send();
    },
  );

  app.get(
    '/api/v1/services',
    {
      schema: { tags, summary: 'Every instance, by service', response: { 200: ServicesSnapshot } },
    },
    async () => snapshot(),
  );

  app.get(
    '/api/v1/services/:name',
    {
      schema: {
        tags,
        summary: 'The instances of one service (empty when none)',
        params: ServiceParams,
        response: { 200: ServiceInstances },
      },
    },
    async (req) => ({ index: store.index(), instances: store.instances(req.params.name) }),
  );

  app.get(
    '/api/v1/watch',
    {
      logLevel: 'warn',
      schema: {
        tags,
        summary: 'Long-poll: answers when the index differs from `index`, or after `waitSeconds`',
        querystring: WatchQuery,
        response: { 200: ServicesSnapshot },
      },
    },
    async (req, reply) => {
      const after = req.query.index ?? 0;
      const waitMs = (req.query.waitSeconds ?? DEFAULT_WAIT_SECONDS) * 1000;
      // Each held watch keeps a socket and a waiter: counted, and refused (429) beyond the caps.
      const release = watchers.enter(req.ip);
      // A watcher that hangs up must not stay in the store's waiter set until its
      // timeout; 'close' on the response before it was sent means exactly that.
      const gone = new AbortController();
      const onClose = (): void => gone.abort();
      reply.raw.once('close', onClose);
      try {
        await store.waitForChange(after, waitMs, AbortSignal.any([gone.signal, shutdown]));
      } finally {
        reply.raw.off('close', onClose);
        release();
      }
      // A watcher re-polls at once; tell it not to do so on a socket this stopping instance is about to close.
      if (shutdown.aborted) reply.header('connection', 'close');
      return snapshot();
    },
  );
}
