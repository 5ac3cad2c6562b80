// Login throttling per account as pure decisions over a short log of failure
// times; the store keeps the log in the database so every instance sees it.

export interface ThrottlePolicy {
  /** Failures within the window after which attempts are refused. */
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_THROTTLE_POLICY: ThrottlePolicy = { maxFailures: 5, windowMs: 15 * 60_000 };

/** Times (ms) of recent failed attempts, oldest first; at most `maxFailures` long. */
export interface ThrottleState {
  failures: readonly number[];
}

export const EMPTY_THROTTLE_STATE: ThrottleState = { failures: [] };

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

function recent(state: ThrottleState, now: number, policy: ThrottlePolicy): number[] {
  return state.failures.filter((t) => t > now - policy.windowMs && t <= now);
}

/**
 * Whether an attempt may be made now. Once `maxFailures` failures fall inside
 * the window, every attempt is refused (the password is not even checked)
 * until the oldest of them leaves the window.
 */
export function checkThrottle(
  state: ThrottleState,
  now: number,
  policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
): ThrottleDecision {
  const failures = recent(state, now, policy);
  if (failures.length < policy.maxFailures) return { allowed: true };
  const oldestCounted = failures[failures.length - policy.maxFailures]!;
  return { allowed: false, retryAfterMs: oldestCounted + policy.windowMs - now };
}

/** The state after a failed attempt at `now`. */
export function recordFailure(
  state: ThrottleState,
  now: number,
  policy: ThrottlePolicy = DEFAULT_THROTTLE_POLICY,
): ThrottleState {
  const failures = [...recent(state, now, policy), now];
  return { failures: failures.slice(-policy.maxFailures) };
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

/** A successful login forgets earlier failures. */
export function recordSuccess(): ThrottleState {
  return EMPTY_THROTTLE_STATE;
}

/** Seconds for a `Retry-After` header: rounded up, at least 1. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
