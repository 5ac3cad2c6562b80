// Canary analysis: the canary's answers against the stable side's over a window. Worse beyond the
// thresholds (error rate, mean latency) as soon as the canary has enough requests: roll back. A whole
// window of enough healthy requests: keep it, or take the next step up (promoted at 100).

import type { CanaryAnalysis } from './policy.ts';

/** Below this much slower, latency is never held against a canary (a 2 ms service at 5 ms is not a regression). */
export const LATENCY_SLACK_MS = 25;

export interface SideStats {
  requests: number;
  failures: number;
  totalMs: number;
}

export const emptyStats = (): SideStats => ({ requests: 0, failures: 0, totalMs: 0 });

export type Verdict =
  | { kind: 'rollback'; reason: string }
  | { kind: 'healthy'; reason: string }
  /** Not enough canary requests yet, or the window is still open. */
  | { kind: 'wait' };

const percent = (n: number) => `${Math.round(n * 1000) / 10}%`;
const rate = (s: SideStats) => (s.requests === 0 ? 0 : s.failures / s.requests);
const mean = (s: SideStats) => (s.requests === 0 ? 0 : s.totalMs / s.requests);

/**
 * Judges a window so far: `closed` when it has run its full length (only then is a canary found healthy;
 * a rollback does not wait for the end). With no stable traffic to compare, the canary is held to no errors
 * above the threshold and to no latency bound.
 */
export function judge(canary: SideStats, stable: SideStats, analysis: CanaryAnalysis, closed: boolean): Verdict {
  if (canary.requests < analysis.minRequests) return { kind: 'wait' };
  const canaryRate = rate(canary);
  const stableRate = rate(stable);
  const summary = `${canary.failures} of ${canary.requests} canary requests failed (${percent(canaryRate)}), stable ${stable.failures} of ${stable.requests} (${percent(stableRate)}); mean latency ${Math.round(mean(canary))} ms against ${Math.round(mean(stable))} ms`;
  if (canaryRate - stableRate > analysis.maxErrorRateIncrease)
    return {
      kind: 'rollback',
      reason: `error rate ${percent(canaryRate)} against ${percent(stableRate)}, above the allowed ${percent(analysis.maxErrorRateIncrease)} more: ${summary}`,
    };
  if (stable.requests > 0) {
    const canaryMs = mean(canary);
    const stableMs = mean(stable);
    if (canaryMs > stableMs * analysis.maxLatencyRatio && canaryMs - stableMs > LATENCY_SLACK_MS)
      return {
        kind: 'rollback',
        reason: `mean latency ${Math.round(canaryMs)} ms against ${Math.round(stableMs)} ms, above ${analysis.maxLatencyRatio}×: ${summary}`,
      };
  }
  return closed ? { kind: 'healthy', reason: summary } : { kind: 'wait' };
}
