// Progressive delays after failed sign-ins, as pure decisions over a short log
// of failure times; the store keeps the log in the database so every instance
// sees it. There is no lock-out: after a few free failures each further one
// makes the next attempt wait twice as long, up to a cap, and an attempt made
// after the wait is checked like any other (the right password gets in). The
// same rules count failures per account and per client IP (across accounts,
// against password spraying), each with its own number of free failures.

export interface ThrottlePolicy {
  /** Failures within the window that cost nothing. */
  freeFailures: number;
  /** Wait after the first failure beyond the free ones; doubles with each further one. */
  baseDelayMs: number;
  /** The longest wait, however many failures. */
  maxDelayMs: number;
  /** Failures older than this are forgotten. */
  windowMs: number;
}

export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = {
  freeFailures: 3,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  windowMs: 15 * 60_000,
};

/** Times (ms) of recent failed attempts, oldest first; at most {@link MAX_REMEMBERED} long. */
export interface ThrottleState {
  failures: readonly number[];
}

/** Failures remembered per key: beyond the free ones, 2^40 times the base delay is past any cap. */
export const MAX_REMEMBERED = 50;

export const EMPTY_THROTTLE_STATE: ThrottleState = { failures: [] };

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

function recent(state: ThrottleState, now: number, policy: ThrottlePolicy): number[] {
  return state.failures.filter((t) => t > now - policy.windowMs && t <= now);
}

/** How long the next attempt must wait after the last of `count` recent failures. */
export function delayAfter(count: number, policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY): number {
  if (count <= policy.freeFailures) return 0;
  const doublings = Math.min(count - policy.freeFailures - 1, 40);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** doublings);
}

/** Whether an attempt may be made now: only once the delay since the last recent failure has passed. */
export function checkThrottle(
  state: ThrottleState,
  now: number,
  policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
): ThrottleDecision {
  const failures = recent(state, now, policy);
  const wait = delayAfter(failures.length, policy);
  if (wait === 0) return { allowed: true };
  const until = failures[failures.length - 1]! + wait;
  return until <= now ? { allowed: true } : { allowed: false, retryAfterMs: until - now };
}

/** The state after a failed attempt at `now`. */
export function recordFailure(
  state: ThrottleState,
  now: number,
  policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
): ThrottleState {
  const failures = [...recent(state, now, policy), now];
  return { failures: failures.slice(-MAX_REMEMBERED) };
}

/**
 * Admits an attempt or refuses it. An admitted attempt is counted as a
 * failure straight away and only forgotten when it succeeds, so a burst of
 * parallel guesses cannot all slip in before the first failure is recorded.
 */
export function admitAttempt(
  state: ThrottleState,
  now: number,
  policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
): { decision: ThrottleDecision; next: ThrottleState } {
  const decision = checkThrottle(state, now, policy);
  return { decision, next: decision.allowed ? recordFailure(state, now, policy) : state };
}

/** A successful login forgets the account's earlier failures. */
export function recordSuccess(): ThrottleState {
  return EMPTY_THROTTLE_STATE;
}

/** Seconds for a `Retry-After` header: rounded up, at least 1. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
