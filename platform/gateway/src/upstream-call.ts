// Sends one proxied request to a service: picks an instance (round robin,
// skipping open breakers), runs each attempt through that instance's breaker,
// and retries on another instance when that cannot do the request's effect twice.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { propagation, trace, type Context } from '@opentelemetry/api';
import { Counter, type Registry } from 'prom-client';
import {
  Balancer,
  internalInstances,
  RETRYABLE_STATUSES,
  type Breakers,
  type Discovery,
  type ServiceInstance,
  type SoukError,
} from '@souk/chassis';
import { gatewayErrors } from './errors.ts';
import { forward, type AttemptOutcome, type ResponseRecorder } from './forward.ts';
import { upstreamRequestHead, type ForwardingInfo } from './headers.ts';
import type { UpstreamPools } from './upstream-pools.ts';
import type { ReleaseController } from './releases/controller.ts';

export interface UpstreamCallDeps {
  discovery: Discovery;
  breakers: Breakers;
  pools: UpstreamPools;
  metrics: Registry;
  clock: { now(): number };
  /** No response headers within this → try elsewhere or 504, unless a call sets its own. */
  timeoutMs: number;
  /** Attempts per request, the first included, each on a different instance. */
  maxAttempts: number;
  /** Retry-After sent with 503s that have no better estimate. */
  retryAfterSeconds: number;
  /** Which release's instances take a caller's request (canary, blue/green), and the canary analysis. */
  releases: Pick<ReleaseController, 'route' | 'analysed' | 'observe'>;
}

/** Attempts and per-attempt timeout of proxied calls, as the common `clients` setting gives them. */
export interface UpstreamTuning {
  attempts?: number | undefined;
  timeoutMs?: number | undefined;
}

export interface UpstreamCall {
  /** The `clients` setting (for every service, and per service over that) over the gateway's own defaults. */
  tune(all: UpstreamTuning, perService?: Readonly<Record<string, UpstreamTuning>>): void;
  /** The request for `service`, forwarded; the client response is written or a souk error thrown. */
  send(call: {
    service: string;
    req: IncomingMessage;
    res: ServerResponse;
    body: Buffer | undefined;
    /**
     * Set instead of `body` for a large body streamed from `req` (its Content-Length): it goes to
     * one instance only, since bytes that left cannot be sent again.
     */
    streamedLength?: number;
    requestId: string;
    /** Who is calling (a user, or an address): a canary takes a fixed share of callers. */
    caller: string;
    /** The `Authorization` sent upstream instead of the client's: the internal token the user's was exchanged for. */
    authorization?: string;
    /** Whether repeating the request is harmless (idempotent method or Idempotency-Key). */
    repeatable: boolean;
    /** Trace context of the gateway's SERVER span. */
    parent: Context;
    /** Added to the per-attempt timeout: the wait a client asked the service for (`Prefer: wait`). */
    extraWaitMs?: number;
    /** Sees the answer that goes to the client (the response cache). */
    recorder?: ResponseRecorder | undefined;
  }): Promise<void>;
}

/** Label values of souk_gateway_upstream_requests_total (one per attempt, or per request refused without one). */
export type UpstreamOutcome =
  'ok' | 'status_5xx' | 'timeout' | 'connect_error' | 'reset' | 'client_closed' | 'no_instance' | 'circuit_open';

/** Thrown inside the breaker so it counts the attempt as a failure; unwrapped right after. */
class FailedAttempt extends Error {
  constructor(readonly outcome: AttemptOutcome) {
    super('upstream attempt failed');
  }
}

function failedForBreaker(outcome: AttemptOutcome): boolean {
  switch (outcome.kind) {
    case 'failed':
    case 'retryable-status':
      return true;
    case 'responded':
      return !outcome.complete || RETRYABLE_STATUSES.has(outcome.status);
    case 'client-gone':
      // Not the instance's fault. Cockatiel has no neutral outcome, so this counts as a success: a hung
      // instance still trips its breaker through the gateway's own timeout, which fires first for most clients.
      return false;
  }
}

function outcomeLabel(outcome: AttemptOutcome): UpstreamOutcome {
  switch (outcome.kind) {
    case 'responded':
      return !outcome.complete ? 'reset' : outcome.status >= 500 ? 'status_5xx' : 'ok';
    case 'retryable-status':
      return 'status_5xx';
    case 'client-gone':
      return 'client_closed';
    case 'failed':
      return outcome.failure === 'connect' ? 'connect_error' : outcome.failure;
  }
}

export function createUpstreamCall(deps: UpstreamCallDeps): UpstreamCall {
  const { discovery, breakers, pools } = deps;
  const counter =
    (deps.metrics.getSingleMetric('souk_gateway_upstream_requests_total') as Counter<'service' | 'outcome'> | undefined) ??
    new Counter({
      name: 'souk_gateway_upstream_requests_total',
      help: 'Requests the gateway sent upstream (one per attempt) or refused without an attempt, by service and outcome.',
      labelNames: ['service', 'outcome'],
      registers: [deps.metrics],
    });
  // One balancer and one breaker filter per service, for the life of the process.
  const perService = new Map<string, { balancer: Balancer; accept: (i: ServiceInstance) => boolean }>();
  const forService = (service: string) => {
    let entry = perService.get(service);
    if (!entry) {
      entry = { balancer: new Balancer(), accept: (i) => breakers.accepts(service, i.instanceId) };
      perService.set(service, entry);
    }
    return entry;
  };

  /** Seconds until the first open breaker of `service` lets a probe through. */
  function retryAfterForOpenCircuits(service: string): number {
    const now = deps.clock.now();
    let soonest = Infinity;
    for (const b of breakers.snapshot()) {
      if (b.service !== service || b.state !== 'open') continue;
      soonest = Math.min(soonest, b.since + b.openForMs - now);
    }
    if (!Number.isFinite(soonest)) return deps.retryAfterSeconds;
    // A breaker is never open longer than halfOpenAfterMs, whatever the clocks say.
    return Math.min(Math.ceil(breakers.halfOpenAfterMs / 1000), Math.max(1, Math.ceil(soonest / 1000)));
  }

  function refuse(service: string, outcome: UpstreamOutcome, err: SoukError): never {
    counter.inc({ service, outcome });
    throw err;
  }

  // The live `clients` setting over the environment's defaults, resolved once per service until it changes.
  let tuning: { all: UpstreamTuning; perService: Readonly<Record<string, UpstreamTuning>> } = { all: {}, perService: {} };
  const policies = new Map<string, { timeoutMs: number; attempts: number }>();
  const policyOf = (service: string) => {
    let policy = policies.get(service);
    if (policy === undefined) {
      const own = tuning.perService[service];
      policy = {
        timeoutMs: own?.timeoutMs ?? tuning.all.timeoutMs ?? deps.timeoutMs,
        attempts: own?.attempts ?? tuning.all.attempts ?? deps.maxAttempts,
      };
      policies.set(service, policy);
    }
    return policy;
  };

  return {
    tune(all, perService = {}) {
      tuning = { all, perService };
      policies.clear();
    },

    async send({
      service,
      req,
      res,
      body,
      streamedLength,
      requestId,
      caller,
      authorization,
      repeatable,
      parent,
      extraWaitMs = 0,
      recorder,
    }) {
      const policy = policyOf(service);
      const timeoutMs = policy.timeoutMs + extraWaitMs;
      const listed = discovery.instances(service);
      if (listed.length === 0) {
        refuse(
          service,
          'no_instance',
          gatewayErrors.noInstance({
            detail: `No instance of ${service} is registered.`,
            headers: { 'retry-after': String(deps.retryAfterSeconds) },
            extensions: { service },
          }),
        );
      }
      // Without a release plan for the service, the stable instances (a canary started beside them waits for its weight).
      const routed = deps.releases.route(service, listed, caller);
      const analysed = routed !== undefined && deps.releases.analysed(service);
      let instances = routed?.instances ?? internalInstances(listed);
      let release = routed?.release ?? '';
      const { balancer, accept } = forService(service);
      const method = req.method ?? 'GET';
      const streamed = streamedLength !== undefined;
      // A streamed body is read once: one attempt, whatever the method (the client may repeat it with its Idempotency-Key).
      const maxAttempts = streamed ? 1 : policy.attempts;
      const tried = new Set<string>();
      const untried = (list: readonly ServiceInstance[]) => list.some((i) => !tried.has(i.instanceId) && accept(i));
      let last: AttemptOutcome | undefined;

      // The upstream's spans hang off the gateway's SERVER span: a CLIENT span per attempt cost ~7% of throughput
      // (bench/gateway), so attempts are recorded as attributes and events of that span instead.
      // Unsampled, the SERVER span does not record: skip building its attributes.
      const serverSpan = trace.getSpan(parent);
      const span = serverSpan?.isRecording() ? serverSpan : undefined;
      const info: ForwardingInfo = authorization === undefined ? { requestId } : { requestId, authorization };
      propagation.inject(parent, info);

      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        // Every instance of the caller's release tried, or behind an open breaker (a failing canary's trips): the
        // attempt goes to the other side rather than fail the user.
        if (routed !== undefined && instances !== routed.spare && routed.spare.length > 0 && !untried(instances)) {
          instances = routed.spare;
          release = routed.spareRelease;
        }
        // One instance (the usual case in the devhost): no balancing to do, no candidate lists to build.
        const instance =
          instances.length === 1
            ? accept(instances[0]!)
              ? instances[0]
              : undefined
            : balancer.pick(instances, { accept, tried });
        // The balancer hands back a tried instance when no fresh one is left: retries go elsewhere or not at all.
        if (!instance || tried.has(instance.instanceId)) break;
        tried.add(instance.instanceId);
        const more =
          attempt < maxAttempts &&
          (untried(instances) || (routed !== undefined && instances !== routed.spare && untried(routed.spare)));
        const target = pools.target(instance.url);
        // Before the call: the SERVER span ends as soon as the answer has gone out.
        span?.setAttributes({
          'souk.upstream.service': service,
          'souk.upstream.instance': instance.instanceId,
          'souk.upstream.attempts': attempt,
          ...(routed !== undefined ? { 'souk.upstream.release': release } : {}),
        });
        const startedAt = analysed ? performance.now() : 0;

        let outcome: AttemptOutcome;
        try {
          outcome = await breakers.execute({ service, instanceId: instance.instanceId, url: instance.url }, async () => {
            const path = target.basePath ? target.basePath + req.url : (req.url ?? '/');
            const result = await forward(res, {
              pool: target.pool,
              method,
              head: upstreamRequestHead(
                req,
                { method, path, host: target.host, bodyLength: body?.length ?? streamedLength },
                info,
              ),
              body,
              bodyStream: streamed ? req : undefined,
              timeoutMs,
              holdRetryableStatus: repeatable && more,
              requestId,
              recorder,
            });
            if (failedForBreaker(result)) throw new FailedAttempt(result);
            return result;
          });
        } catch (err) {
          if (err instanceof FailedAttempt) outcome = err.outcome;
          // The breaker opened between the pick and the call (another request's failure): try the next instance.
          // Checked by cockatiel's marker (set on BrokenCircuitError and IsolatedCircuitError), not by name or class.
          else if ((err as { isBrokenCircuitError?: boolean }).isBrokenCircuitError === true) continue;
          else throw err;
        }
        const label = outcomeLabel(outcome);
        counter.inc({ service, outcome: label });
        if (analysed && label !== 'client_closed')
          deps.releases.observe(service, release, label !== 'ok', performance.now() - startedAt);
        last = outcome;
        if (outcome.kind === 'responded' || outcome.kind === 'client-gone') return;
        span?.addEvent('upstream attempt failed', {
          'souk.upstream.instance': instance.instanceId,
          'souk.upstream.outcome': label,
          'souk.upstream.attempt': attempt,
        });
        // Connection refused: the instance never saw the request, so any method may go elsewhere.
        const retry = outcome.kind === 'retryable-status' || outcome.failure === 'connect' || repeatable;
        if (!retry || !more) break;
      }

      if (!last) {
        refuse(
          service,
          'circuit_open',
          gatewayErrors.circuitOpen({
            detail: `Every instance of ${service} has an open circuit breaker.`,
            headers: { 'retry-after': String(retryAfterForOpenCircuits(service)) },
            extensions: { service },
          }),
        );
      }
      const attempts = tried.size;
      if (last.kind === 'failed' && last.failure === 'timeout') {
        throw gatewayErrors.upstreamTimeout({
          detail: `${service} did not answer within ${timeoutMs} ms (${attempts} attempt${attempts === 1 ? '' : 's'}).`,
          extensions: { service, attempts },
        });
      }
      throw gatewayErrors.upstreamUnreachable({
        detail: `${service} could not be reached (${attempts} attempt${attempts === 1 ? '' : 's'}).`,
        headers: { 'retry-after': String(deps.retryAfterSeconds) },
        extensions: { service, attempts },
        ...(last.kind === 'failed' ? { cause: last.error } : {}),
      });
    },
  };
}
