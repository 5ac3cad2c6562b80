// A bounded line for scrypt: at most `concurrency` hashes run at once, at most
// `maxWaiting` wait, and one client IP holds at most `perClient` of them
// (running or waiting), so one address cannot fill the line for everybody.
// Beyond that a request is refused at once (HashQueueFull) rather than queued
// without end. Lanes: sign-ins from addresses without recent failures go
// first; sign-ups and sign-ins from addresses with a few failures go second
// and may fill only half of the waiting places (a customer who cannot sign up
// now tries again, one who cannot sign in cannot buy). Which lane is chosen
// never depends on whether an account exists (that would tell under load).
//
// Fair between addresses: one client never runs on every place (one is kept
// for the others), and within a lane the next place goes to the waiting
// client served longest ago, not to whoever queued first.
//
// Guessing addresses hash only when nobody else does. An address with
// `failingAfter` recent failures (a flood's burst reaches that within its
// first few checks, while the rest of the burst still waits) moves to a last
// lane whose hashes start only when no other hash runs or waits and none has
// finished for `quietMs`; one waiting `maxHoldMs` is refused (busy). On two
// cores a guess hashed beside a customer's sign-in took half the CPU it
// needed: 1-1.3 s instead of 0.4 s on a loaded machine.

export type HashLane = 'first' | 'second';

export interface HashQueuePolicy {
  concurrency: number;
  maxWaiting: number;
  perClient: number;
  /** Recent failures from which an address hashes only when nobody else does. */
  failingAfter?: number;
  /** How long after another hash finished a failing address may start one (a customer's next step comes in between). */
  quietMs?: number;
  /** How long a failing address's hash may wait before it is refused. */
  maxHoldMs?: number;
}

export const DEFAULT_FAILING_AFTER = 3;
export const DEFAULT_QUIET_MS = 500;
export const DEFAULT_MAX_HOLD_MS = 2_000;

/** Time and timers, given by tests. */
export interface HashQueueClock {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

const realClock: HashQueueClock = {
  now: () => performance.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export class HashQueueFull extends Error {
  readonly reason: 'busy' | 'client';
  constructor(reason: 'busy' | 'client') {
    super(
      reason === 'busy' ? 'every place in the hashing queue is taken' : 'this client already has its share of the hashing queue',
    );
    this.name = 'HashQueueFull';
    this.reason = reason;
  }
}

export const isHashQueueFull = (err: unknown): err is HashQueueFull =>
  (err as { name?: unknown } | null)?.name === 'HashQueueFull';

type Line = HashLane | 'failing';

interface Waiter {
  client: string;
  since: number;
  start: () => void;
  shed: () => void;
}

/** A client holding places: running and waiting, when one of its hashes last started, its failures meanwhile. */
interface ClientState {
  inHand: number;
  running: number;
  /** Sequence number of its last start; 0 = none yet (served before anyone who has been). */
  lastStarted: number;
  failures: number;
}

export function createHashQueue(policy: HashQueuePolicy, clock: HashQueueClock = realClock) {
  const failingAfter = policy.failingAfter ?? DEFAULT_FAILING_AFTER;
  const quietMs = policy.quietMs ?? DEFAULT_QUIET_MS;
  const maxHoldMs = policy.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
  let running = 0;
  /** Hashes running for addresses that are not failing. */
  let othersRunning = 0;
  let lastOtherEnd = -Infinity;
  let starts = 0;
  let cancelTimer: (() => void) | undefined;
  const lines: Record<Line, Waiter[]> = { first: [], second: [], failing: [] };
  const clients = new Map<string, ClientState>();
  const secondLaneLimit = Math.ceil(policy.maxWaiting / 2);
  /** With one place, a client can only take it; with more, one is always left for other addresses. */
  const runningPerClient = Math.max(1, policy.concurrency - 1);

  const waitingCount = () => lines.first.length + lines.second.length + lines.failing.length;
  const isFailing = (state: ClientState) => state.failures >= failingAfter;
  const othersBusy = (now: number) =>
    othersRunning > 0 || lines.first.length > 0 || lines.second.length > 0 || now < lastOtherEnd + quietMs;
  const canStart = (state: ClientState, now: number) =>
    running < policy.concurrency && state.running < runningPerClient && !(isFailing(state) && othersBusy(now));

  /** The waiter to start next: lane by lane; within one, the startable client served longest ago (then queued first). */
  function takeNext(now: number): Waiter | undefined {
    for (const line of [lines.first, lines.second, lines.failing]) {
      let best = -1;
      let bestServed = Infinity;
      for (let i = 0; i < line.length; i++) {
        const state = clients.get(line[i]!.client)!;
        if (state.lastStarted < bestServed && canStart(state, now)) {
          best = i;
          bestServed = state.lastStarted;
        }
      }
      if (best !== -1) return line.splice(best, 1)[0];
    }
    return undefined;
  }

  /** Starts what can start, refuses failing waiters held too long, and wakes up when the next of those can change. */
  function pump(): void {
    cancelTimer?.();
    cancelTimer = undefined;
    const now = clock.now();
    for (let next = takeNext(now); next; next = takeNext(now)) next.start();
    const held = lines.failing;
    for (let i = held.length - 1; i >= 0; i--) {
      if (now - held[i]!.since >= maxHoldMs) held.splice(i, 1)[0]!.shed();
    }
    if (held.length === 0) return;
    let wake = Math.min(...held.map((w) => w.since + maxHoldMs));
    if (now < lastOtherEnd + quietMs) wake = Math.min(wake, lastOtherEnd + quietMs);
    cancelTimer = clock.after(Math.max(1, wake - now), pump);
  }

  function forget(client: string, state: ClientState): void {
    if (--state.inHand === 0) clients.delete(client);
  }

  return {
    /**
     * Runs `work` when a place is free; throws HashQueueFull at once when none can be had (or, for a failing
     * address, when none came within `maxHoldMs`). `failures`: the address's recent failed sign-ins.
     */
    run<T>(client: string, lane: HashLane, work: () => Promise<T>, failures = 0): Promise<T> {
      const state = clients.get(client) ?? { inHand: 0, running: 0, lastStarted: 0, failures: 0 };
      state.failures = Math.max(state.failures, failures);
      if (state.inHand >= policy.perClient) return Promise.reject(new HashQueueFull('client'));
      const now = clock.now();
      const mustWait = !canStart(state, now);
      const line: Line = isFailing(state) ? 'failing' : lane;
      if (mustWait) {
        const full =
          waitingCount() >= policy.maxWaiting ||
          (line !== 'first' && lines.second.length + lines.failing.length >= secondLaneLimit);
        if (full) return Promise.reject(new HashQueueFull('busy'));
      }
      state.inHand++;
      clients.set(client, state);
      let other = false;
      const started = new Promise<void>((resolve, reject) => {
        const start = () => {
          running++;
          state.running++;
          other = !isFailing(state);
          if (other) othersRunning++;
          state.lastStarted = ++starts;
          resolve();
        };
        if (!mustWait) return start();
        lines[line].push({ client, since: now, start, shed: () => reject(new HashQueueFull('busy')) });
        if (line === 'failing') pump();
      });
      return started.then(
        () =>
          work().finally(() => {
            running--;
            state.running--;
            if (other) {
              othersRunning--;
              lastOtherEnd = clock.now();
            }
            forget(client, state);
            pump();
          }),
        (err: unknown) => {
          forget(client, state);
          throw err;
        },
      );
    },

    /** A check for `client` failed: counted while it holds places; from `failingAfter`, its waiting hashes wait last. */
    failed(client: string): void {
      const state = clients.get(client);
      if (!state) return;
      state.failures++;
      if (!isFailing(state)) return;
      for (const line of [lines.first, lines.second]) {
        for (let i = line.length - 1; i >= 0; i--) {
          if (line[i]!.client === client) lines.failing.push(...line.splice(i, 1));
        }
      }
      lines.failing.sort((a, b) => a.since - b.since);
      pump();
    },

    /** Running and waiting counts, for metrics and tests. */
    stats(): { running: number; waiting: number; clients: number } {
      return { running, waiting: waitingCount(), clients: clients.size };
    },
  };
}

export type HashQueue = ReturnType<typeof createHashQueue>;
