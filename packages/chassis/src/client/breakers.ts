// Circuit breakers per service instance (cockatiel), made observable: state
// changes are logged, counted and exported as a gauge, and snapshot() feeds
// /_admin/resilience. Independent of HTTP so the gateway can reuse it.

import {
  CircuitState,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IBreaker,
  type IBackoffFactory,
  type IHalfOpenAfterBackoffContext,
} from 'cockatiel';
import { Counter, Gauge, type Registry } from 'prom-client';
import { isSoukError } from '../errors/index.ts';
import { isConnectionRefused } from './failures.ts';
import { systemClock, type Clock, type Log } from '../discovery/types.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** What a breaker guards: one instance of one service. */
export interface BreakerTarget {
  service: string;
  instanceId: string;
  url?: string;
}

export interface BreakerSnapshot {
  service: string;
  instanceId: string;
  url?: string;
  state: BreakerState;
  /** When the breaker entered `state` (ms since the epoch). */
  since: number;
  /** Consecutive failures counted so far. */
  failures: number;
  /** How long an open breaker stays open before its probe (see `Breakers.openFor`). */
  openForMs: number;
  /** How many times it opened since this process started, and when it last did (ms since the epoch). */
  openings: number;
  lastOpenedAt: number | null;
  /** Set when the instance left discovery: the breaker is gone, kept in the snapshot a while as it was then. */
  leftAt?: number;
}

export interface BreakersOptions {
  log: Log;
  /** Registry for souk_client_circuit_* metrics; none are exported without it. */
  metrics?: Registry;
  clock?: Clock;
  /** Consecutive failures that open a breaker. */
  failureThreshold?: number;
  /** How long a breaker stays open before it lets one probe call through. */
  halfOpenAfterMs?: number;
  /** Which errors count as failures; by default all but souk errors with a status below 500 (the caller's mistake, not the instance's). */
  isFailure?: (err: unknown) => boolean;
}

export const DEFAULT_FAILURE_THRESHOLD = 5;
export const DEFAULT_HALF_OPEN_AFTER_MS = 10_000;
/**
 * How long a refused connection keeps a circuit open. Nothing listens there: the instance is still starting
 * (a service reaching identity while both start) or gone (and discovery drops it soon). Its probe costs one
 * refused connect, and a full cool-down made every service that started beside identity wait 10 s for it.
 */
export const REFUSED_OPEN_MS = 500;
/**
 * Breakers that opened, of instances that left, kept in the snapshot this long (at most RETIRED_MAX of them):
 * an instance killed under load leaves the registry seconds after its callers' breakers opened, and an
 * operator looking a minute later should still see that they did.
 */
export const RETIRED_KEEP_MS = 10 * 60_000;
const RETIRED_MAX = 50;

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

interface Entry {
  target: BreakerTarget;
  policy: CircuitBreakerPolicy;
  counter: ConsecutiveFailures;
  state: BreakerState;
  since: number;
  /** How long this opening lasts: halfOpenAfterMs, or less when the failure that opened it said when to come back. */
  openForMs: number;
  openings: number;
  lastOpenedAt: number | null;
}

const defaultIsFailure = (err: unknown): boolean => !(isSoukError(err) && err.status < 500);

/**
 * Cockatiel decides "open → half-open" by comparing Date.now() against the
 * backoff's duration. Answering -∞ or +∞ from our own clock makes the injected
 * clock the only time source, so tests move time instead of sleeping. How long:
 * `openFor` of the failure that opened the circuit, recorded on the entry for
 * isOpen() and the snapshot.
 */
function halfOpenAfter(
  clock: Clock,
  entry: () => Entry,
  openFor: (failure: unknown) => number,
): IBackoffFactory<IHalfOpenAfterBackoffContext> {
  const next = (context: IHalfOpenAfterBackoffContext): IBackoff<IHalfOpenAfterBackoffContext> => {
    const openedAt = clock.now();
    const ms = openFor('error' in context.result ? context.result.error : undefined);
    entry().openForMs = ms;
    return {
      get duration() {
        return clock.now() - openedAt >= ms ? -Infinity : Infinity;
      },
      next,
    };
  };
  return { next };
}

/** `Retry-After` in seconds (the only form souk sends) of a souk error, in ms; undefined when absent or not a number. */
export function retryAfterMs(err: unknown): number | undefined {
  const value = isSoukError(err) ? err.headers['retry-after'] : undefined;
  const seconds = value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
  return seconds === undefined ? undefined : seconds * 1000;
}

/** Cockatiel's consecutive-failure breaker, its threshold read at each failure so that settings change it live. */
class ConsecutiveFailures implements IBreaker {
  state = 0;
  constructor(private readonly threshold: () => number) {}
  success(): void {
    this.state = 0;
  }
  failure(): boolean {
    return ++this.state >= this.threshold();
  }
}

/** What the live settings may change (packages/chassis/src/live-config): from the next failure or opening on. */
export interface BreakerSettings {
  failureThreshold?: number | undefined;
  halfOpenAfterMs?: number | undefined;
}

function toState(state: CircuitState): BreakerState {
  if (state === CircuitState.Closed) return 'closed';
  if (state === CircuitState.HalfOpen) return 'half-open';
  return 'open'; // Open, or Isolated (held open by hand)
}

/** The breakers of one process, created on first use per (service, instanceId). */
export class Breakers {
  private readonly entries = new Map<string, Entry>();
  /** Snapshots of breakers that had opened, taken as their instance left (oldest first). */
  private retired: BreakerSnapshot[] = [];
  private readonly log: Log;
  private readonly clock: Clock;
  private threshold: number;
  private openMs: number;
  private readonly configured: Required<BreakerSettings>;
  private readonly isFailure: (err: unknown) => boolean;
  private readonly transitions: Counter<'service' | 'instance' | 'to'>;
  private readonly gauge: Gauge<'service' | 'instance'>;

  constructor(options: BreakersOptions) {
    this.log = options.log;
    this.clock = options.clock ?? systemClock;
    this.threshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.openMs = options.halfOpenAfterMs ?? DEFAULT_HALF_OPEN_AFTER_MS;
    this.configured = { failureThreshold: this.threshold, halfOpenAfterMs: this.openMs };
    this.isFailure = options.isFailure ?? defaultIsFailure;
    const registers = options.metrics ? [options.metrics] : [];
    // Several Breakers may share one registry (client and gateway); reuse what is there.
    this.transitions =
      (options.metrics?.getSingleMetric('souk_client_circuit_transitions_total') as
        Counter<'service' | 'instance' | 'to'> | undefined) ??
      new Counter({
        name: 'souk_client_circuit_transitions_total',
        help: 'Circuit breaker state changes, by target instance and new state.',
        labelNames: ['service', 'instance', 'to'],
        registers,
      });
    this.gauge =
      (options.metrics?.getSingleMetric('souk_client_circuit_state') as Gauge<'service' | 'instance'> | undefined) ??
      new Gauge({
        name: 'souk_client_circuit_state',
        help: 'Circuit breaker state per target instance: 0 closed, 1 half-open, 2 open.',
        labelNames: ['service', 'instance'],
        registers,
      });
  }

  /** How long a breaker stays open before its probe (unless the failure asked for less). */
  get halfOpenAfterMs(): number {
    return this.openMs;
  }

  /**
   * Applies live settings to every breaker, existing ones included: a new threshold counts from the next
   * failure, a new open time from the next opening. A setting left out returns to the one given at start.
   */
  configure(settings: BreakerSettings): void {
    const threshold = settings.failureThreshold ?? this.configured.failureThreshold;
    const openMs = settings.halfOpenAfterMs ?? this.configured.halfOpenAfterMs;
    if (threshold === this.threshold && openMs === this.openMs) return;
    this.threshold = threshold;
    this.openMs = openMs;
    this.log.info({ failureThreshold: threshold, halfOpenAfterMs: openMs }, 'circuit breaker settings changed');
  }

  /** Runs `fn` through the breaker of `target`; throws cockatiel's BrokenCircuitError when it is open. */
  execute<T>(target: BreakerTarget, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.entry(target).policy.execute(({ signal }) => fn(signal));
  }

  /** The breaker's state; 'closed' for an instance never called. */
  state(service: string, instanceId: string): BreakerState {
    return this.entries.get(key(service, instanceId))?.state ?? 'closed';
  }

  /** True while the breaker is open and not yet due to let a probe through. */
  isOpen(service: string, instanceId: string): boolean {
    const entry = this.entries.get(key(service, instanceId));
    return entry !== undefined && entry.state === 'open' && this.clock.now() - entry.since < entry.openForMs;
  }

  /**
   * How long a circuit opened by `failure` stays open: halfOpenAfterMs, or the
   * failure's own `Retry-After` when that is sooner. An instance that answers
   * "my database is restarting, come back in 1 s" gets its probe after 1 s,
   * not after the full cool-down that a saga step's deadline would not outlast.
   * A refused connection opens it for REFUSED_OPEN_MS at most.
   */
  openFor(failure: unknown): number {
    const hinted = retryAfterMs(failure) ?? (isConnectionRefused(failure) ? REFUSED_OPEN_MS : Infinity);
    return Math.min(this.openMs, hinted);
  }

  /**
   * Whether a call should be sent to this instance now: closed, or open and due
   * for its probe. A half-open breaker already has its probe in flight; other
   * calls are better sent elsewhere than queued behind it.
   */
  accepts(service: string, instanceId: string): boolean {
    const entry = this.entries.get(key(service, instanceId));
    if (!entry || entry.state === 'closed') return true;
    return entry.state === 'open' && !this.isOpen(service, instanceId);
  }

  /** Every breaker, then those of instances that left after opening (RETIRED_KEEP_MS), marked `leftAt`. */
  snapshot(): BreakerSnapshot[] {
    const now = this.clock.now();
    this.retired = this.retired.filter((r) => now - (r.leftAt ?? now) < RETIRED_KEEP_MS);
    return [...[...this.entries.values()].map(snapshotOf), ...this.retired];
  }

  /** Drops the breaker of an instance that left, with its gauge series; one that had opened stays in the snapshot a while. */
  remove(service: string, instanceId: string): void {
    const entry = this.entries.get(key(service, instanceId));
    if (!entry) return;
    this.entries.delete(key(service, instanceId));
    if (entry.openings > 0) {
      this.retired = [...this.retired.filter((r) => r.service !== service || r.instanceId !== instanceId), snapshotOf(entry)];
      this.retired.at(-1)!.leftAt = this.clock.now();
      if (this.retired.length > RETIRED_MAX) this.retired.shift();
    }
    this.gauge.remove({ service, instance: instanceId });
    for (const to of ['closed', 'open', 'half-open'] as const) this.transitions.remove({ service, instance: instanceId, to });
  }

  private entry(target: BreakerTarget): Entry {
    const k = key(target.service, target.instanceId);
    const existing = this.entries.get(k);
    if (existing) {
      if (target.url && existing.target.url !== target.url) existing.target = { ...existing.target, url: target.url };
      return existing;
    }
    const counter = new ConsecutiveFailures(() => this.threshold);
    const policy = circuitBreaker(
      handleWhen((err) => this.isFailure(err)),
      {
        breaker: counter,
        halfOpenAfter: halfOpenAfter(
          this.clock,
          () => entry,
          (failure) => this.openFor(failure),
        ),
      },
    );
    const entry: Entry = {
      target: { ...target },
      policy,
      counter,
      state: 'closed',
      since: this.clock.now(),
      openForMs: this.openMs,
      openings: 0,
      lastOpenedAt: null,
    };
    policy.onStateChange((s) => this.changed(entry, toState(s)));
    this.entries.set(k, entry);
    this.gauge.set({ service: target.service, instance: target.instanceId }, STATE_VALUE.closed);
    return entry;
  }

  private changed(entry: Entry, state: BreakerState): void {
    if (state === entry.state) return;
    entry.state = state;
    entry.since = this.clock.now();
    const { service, instanceId, url } = entry.target;
    this.transitions.inc({ service, instance: instanceId, to: state });
    this.gauge.set({ service, instance: instanceId }, STATE_VALUE[state]);
    const fields = { service, instance: instanceId, url, to: state };
    if (state === 'open') {
      entry.openings++;
      entry.lastOpenedAt = entry.since;
      const last = entry.policy.lastFailure;
      const err = last && 'error' in last ? last.error : undefined;
      const reason = isSoukError(err) ? err.code : err instanceof Error ? err.message : undefined;
      this.log.warn({ ...fields, reason, retryInMs: entry.openForMs }, `circuit to ${service} (${instanceId}) opened`);
    } else if (state === 'half-open') {
      this.log.info(fields, `circuit to ${service} (${instanceId}) half-open: sending a probe call`);
    } else {
      this.log.info(fields, `circuit to ${service} (${instanceId}) closed again`);
    }
  }
}

/** Creates the breakers of one process; share it between clients (and the gateway). */
export function createBreakers(options: BreakersOptions): Breakers {
  return new Breakers(options);
}

function snapshotOf(e: Entry): BreakerSnapshot {
  return {
    service: e.target.service,
    instanceId: e.target.instanceId,
    ...(e.target.url ? { url: e.target.url } : {}),
    state: e.state,
    since: e.since,
    failures: typeof e.counter.state === 'number' ? e.counter.state : 0,
    openForMs: e.openForMs,
    openings: e.openings,
    lastOpenedAt: e.lastOpenedAt,
  };
}

function key(service: string, instanceId: string): string {
  return `${service}\u0000${instanceId}`;
}
