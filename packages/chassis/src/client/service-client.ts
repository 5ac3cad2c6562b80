// The resilient client for calls to one service. Policies, outermost first:
//
//   fallback( retry( bulkhead( pick instance → breaker[instance]( timeout( one HTTP attempt )))))
//
// Why this order:
// - timeout innermost, inside the breaker: a hung instance counts as a failure
//   of that instance, and each attempt gets its own full time budget.
// - breakers per instance, not per service: one bad instance opens its own
//   breaker while calls keep flowing to the healthy ones.
// - the pick sits between bulkhead and breaker and runs on every attempt, so
//   a retry lands on another healthy instance and open breakers are skipped
//   without spending an attempt on them.
// - bulkhead inside retry: a call holds a slot only while an attempt is in
//   flight, not while it sleeps between attempts.
// - retry outside all of that: each attempt is a fresh pass through bulkhead,
//   pick and breaker. Fallback outermost: only once every attempt failed.
// The pick between bulkhead and a per-instance breaker is why the policies are
// nested by hand here rather than with cockatiel's wrap().

import { bulkhead, handleWhen, retry, timeout, TimeoutStrategy, type RetryPolicy, type TimeoutPolicy } from 'cockatiel';
import { trace, type Tracer } from '@opentelemetry/api';
import { Counter, type Registry } from 'prom-client';
import type { CachedServiceToken } from '../auth/service-token.ts';
import { requestContext } from '../context.ts';
import { chassisErrors, isSoukError, toSoukError } from '../errors/index.ts';
import type { Discovery, Log } from '../discovery/types.ts';
import { internalInstances } from '../discovery/releases.ts';
import { cockatielBackoff } from '../backoff.ts';
import { Balancer } from './balancer.ts';
import type { Breakers } from './breakers.ts';
import { failureKind, isRepeatable, markFailure, policyFailure, shouldRetry } from './failures.ts';
import { clientDurationHistogram, sendAttempt, type PreparedRequest } from './http-attempt.ts';
import { createInstancePools } from './instance-pools.ts';
import { tlsConnector } from '../tls/connector.ts';
import type { ServiceTls } from '../tls/service-tls.ts';
import {
  DEFAULT_CLIENT_OPTIONS,
  type BulkheadSnapshot,
  type ClientOptions,
  type ServiceClient,
  type ServiceRequest,
  type ServiceResponse,
} from './types.ts';

export interface ServiceClientDeps {
  /** Name of the called service, as discovery knows it. */
  service: string;
  discovery: Discovery;
  /** Shared by every client of the process (see createBreakers). */
  breakers: Breakers;
  log: Log;
  /** Registry for http_client_request_duration_seconds and souk_client_retries_total. */
  metrics?: Registry;
  options?: ClientOptions;
  /** Defaults to trace.getTracer('souk-chassis'). */
  tracer?: Tracer;
  /** The service's own token, for requests with `auth: 'service'`. */
  serviceToken?: CachedServiceToken;
  /** The instance's certificate: `https:` instances are called by mutual TLS and must prove they are `service`. */
  tls?: ServiceTls;
}

/** A ServiceClient that also reports its bulkhead and owns connection pools. */
export interface ResilientServiceClient extends ServiceClient {
  readonly service: string;
  /** Live settings: attempts and the default per-attempt timeout from now on (undefined: back to the code's). */
  tune(settings: ClientTuning): void;
  bulkheadSnapshot(): BulkheadSnapshot;
  /** Closes the connection pools; calls in flight finish first. */
  close(): Promise<void>;
}

/** What live settings may change in a client: the rest (bulkhead, pools) is sized at start. */
export interface ClientTuning {
  attempts?: number | undefined;
  timeoutMs?: number | undefined;
}

/** Header set on a response built from a fallback; its value is the code of the error that was replaced. */
export const FALLBACK_HEADER = 'x-souk-fallback';

export function createServiceClient(deps: ServiceClientDeps): ResilientServiceClient {
  const { service, discovery, breakers, log } = deps;
  const base = { ...DEFAULT_CLIENT_OPTIONS, ...withoutUndefined(deps.options ?? {}) };
  // What live settings change (tune) over the code's options.
  const o = { ...base };
  const { tls } = deps;
  const pools = createInstancePools({
    connections: o.bulkheadLimit,
    ...(tls ? { connector: () => tlsConnector(tls, service) } : {}),
  });
  const attemptDeps = {
    service,
    pools,
    tracer: deps.tracer ?? trace.getTracer('souk-chassis'),
    duration: clientDurationHistogram(deps.metrics),
  };
  const retriesTotal = retriesCounter(deps.metrics);
  const backoff = cockatielBackoff({ curve: 'full-jitter', baseMs: o.backoffBaseMs, capMs: o.backoffCapMs }, o.random);
  const makeRetry = (repeatable: boolean): RetryPolicy => {
    const policy = retry(
      handleWhen((err) => shouldRetry(err, repeatable)),
      { maxAttempts: Math.max(0, o.attempts - 1), backoff },
    );
    policy.onRetry((event) => {
      retriesTotal.inc({ service });
      const code = 'error' in event ? toSoukError(event.error).code : undefined;
      log.debug({ service, attempt: event.attempt, delayMs: event.delay, code }, `retrying call to ${service}`);
    });
    return policy;
  };
  let retryRepeatable = makeRetry(true);
  let retryUnsentOnly = makeRetry(false);
  const slots = bulkhead(o.bulkheadLimit, o.bulkheadQueue);
  const balancer = new Balancer();
  const timeouts = new Map<number, TimeoutPolicy>();
  const timeoutFor = (ms: number): TimeoutPolicy => {
    let policy = timeouts.get(ms);
    if (!policy) {
      // Aggressive: give up at the deadline even if the attempt ignores the
      // abort; the abort still reaches undici and frees the connection.
      policy = timeout(ms, TimeoutStrategy.Aggressive);
      timeouts.set(ms, policy);
    }
    return policy;
  };
  // Instances that left take their pools and breakers with them: restarts give
  // new instance ids, and stale ones would otherwise accumulate as metric series.
  const unsubscribe = discovery.onChange(() => {
    const listed = discovery.instances(service);
    pools.retain(listed.map((i) => i.url));
    const live = new Set(listed.map((i) => i.instanceId));
    for (const b of breakers.snapshot())
      if (b.service === service && b.leftAt === undefined && !live.has(b.instanceId)) breakers.remove(service, b.instanceId);
  });

  async function attempt(
    req: PreparedRequest,
    timeoutMs: number,
    tried: Set<string>,
    signal?: AbortSignal,
  ): Promise<ServiceResponse<unknown>> {
    // A canary or an idle blue/green release takes only what the gateway sends it.
    const instances = internalInstances(discovery.instances(service));
    if (instances.length === 0) {
      throw markFailure(
        chassisErrors.noInstance({ detail: `No instance of ${service} is known`, extensions: { service } }),
        'final',
      );
    }
    const instance = balancer.pick(instances, { accept: (i) => breakers.accepts(service, i.instanceId), tried });
    if (!instance) {
      // Final, not retried: failing fast while every breaker is open is what breakers are for.
      throw markFailure(
        chassisErrors.circuitOpen({ detail: `Every instance of ${service} has an open circuit`, extensions: { service } }),
        'final',
      );
    }
    tried.add(instance.instanceId);
    return breakers.execute({ service, instanceId: instance.instanceId, url: instance.url }, async () => {
      try {
        return await timeoutFor(timeoutMs).execute(
          ({ signal: attemptSignal }) => sendAttempt(attemptDeps, instance, req, attemptSignal),
          signal,
        );
      } catch (err) {
        // The caller gave up: a 499, which the breaker does not count against the instance.
        if (signal?.aborted) throw markFailure(abortedError(service), 'final');
        // Mapped here so the breaker judges souk errors (a timeout is a 504, so a failure).
        throw policyFailure(err, service, timeoutMs);
      }
    });
  }

  async function send<T>(req: ServiceRequest<T>, prepared: PreparedRequest): Promise<ServiceResponse<T>> {
    const timeoutMs = req.timeoutMs ?? o.timeoutMs;
    const policy = isRepeatable(prepared.method, req.idempotencyKey) ? retryRepeatable : retryUnsentOnly;
    const tried = new Set<string>();
    let lastFailure: unknown;
    try {
      const res = await policy.execute(async ({ signal }) => {
        if (signal.aborted) throw markFailure(abortedError(service), 'final');
        try {
          return await slots.execute(() => attempt(prepared, timeoutMs, tried, signal), signal);
        } catch (err) {
          if (signal.aborted) throw markFailure(abortedError(service), 'final');
          const failure = policyFailure(err, service, timeoutMs);
          // This call's own failures may have opened the last breakers; then
          // what the caller needs to hear is that failure, not "circuit open".
          if (isAllOpen(failure) && isSoukError(lastFailure)) throw markFailure(lastFailure, 'final');
          lastFailure = failure;
          throw failure;
        }
      }, req.signal);
      return res as ServiceResponse<T>;
    } catch (raw) {
      const err = toSoukError(raw);
      if (!req.fallback || err.status < 500) throw err;
      log.debug({ service, code: err.code }, `call to ${service} failed; using its fallback`);
      return { status: 200, headers: { [FALLBACK_HEADER]: err.code }, body: await req.fallback(err) };
    }
  }

  /** A call with the service's own token; a token the callee refuses (expired, keys rotated) is fetched again once. */
  async function asService<T>(req: ServiceRequest<T>): Promise<ServiceResponse<T>> {
    const tokens = deps.serviceToken;
    if (!tokens) {
      throw chassisErrors.serviceTokenUnavailable({
        detail: `A call to ${service} asks for the service's own token, but no SERVICE_CLIENT_ID (with the secret service-client-secret) is configured.`,
      });
    }
    const token = await tokens.source();
    const withToken = (bearer: string) => {
      const prepared = prepare(req);
      prepared.headers.authorization = `Bearer ${bearer}`;
      return send(req, prepared);
    };
    try {
      return await withToken(token);
    } catch (err) {
      if (!isSoukError(err) || err.status !== 401) throw err;
      tokens.invalidate(token);
      return withToken(await tokens.source());
    }
  }

  return {
    service,

    tune(settings) {
      const attempts = settings.attempts ?? base.attempts;
      o.timeoutMs = settings.timeoutMs ?? base.timeoutMs;
      if (attempts === o.attempts) return;
      o.attempts = attempts;
      // Calls under way keep the policy they started with.
      retryRepeatable = makeRetry(true);
      retryUnsentOnly = makeRetry(false);
    },

    async request<T = unknown>(req: ServiceRequest<T>): Promise<ServiceResponse<T>> {
      if (req.auth === 'service') return asService(req);
      return send(req, prepare(req));
    },

    bulkheadSnapshot() {
      return {
        service,
        active: o.bulkheadLimit - slots.executionSlots,
        queued: o.bulkheadQueue - slots.queueSlots,
        limit: o.bulkheadLimit,
        queueLimit: o.bulkheadQueue,
      };
    },

    async close() {
      unsubscribe();
      await pools.close();
    },
  };
}

/**
 * Builds what every attempt sends. The caller's identity and request id come
 * from the request context, so handlers need not thread them through; headers
 * the caller set explicitly win.
 */
function prepare(req: ServiceRequest<unknown>): PreparedRequest {
  const method = req.method.toUpperCase();
  let path = req.path.startsWith('/') ? req.path : `/${req.path}`;
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(req.query ?? {})) if (value !== undefined) query.append(name, String(value));
  const qs = query.toString();
  if (qs) path += (path.includes('?') ? '&' : '?') + qs;

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers ?? {})) headers[name.toLowerCase()] = value;
  headers.accept ??= 'application/json, application/problem+json';
  let body: string | undefined;
  if (req.body !== undefined) {
    body = JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json';
  }
  if (req.idempotencyKey) headers['idempotency-key'] = req.idempotencyKey;
  const ctx = requestContext();
  if (ctx?.authorization && headers.authorization === undefined) headers.authorization = ctx.authorization;
  if (ctx?.requestId && headers['x-request-id'] === undefined) headers['x-request-id'] = ctx.requestId;
  return body === undefined ? { method, path, headers } : { method, path, headers, body };
}

/** The "every breaker is open" failure (final), as opposed to one breaker refusing (retried elsewhere). */
function isAllOpen(err: unknown): boolean {
  return chassisErrors.circuitOpen.is(err) && failureKind(err) === 'final';
}

function retriesCounter(metrics?: Registry): Counter<'service'> {
  const name = 'souk_client_retries_total';
  return (
    (metrics?.getSingleMetric(name) as Counter<'service'> | undefined) ??
    new Counter({
      name,
      help: 'Retried attempts of outgoing calls, by called service.',
      labelNames: ['service'],
      registers: metrics ? [metrics] : [],
    })
  );
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The caller gave up (its signal aborted): not a failure of the called service, never retried. */
function abortedError(service: string) {
  return chassisErrors.cancelled({ detail: `The call to ${service} was cancelled by the caller`, extensions: { service } });
}
