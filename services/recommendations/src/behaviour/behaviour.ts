// The behaviour hook: a test lever for callers' resilience (the gateway's
// home page falls back to bestsellers or a cached answer when recommendations
// is slow or failing). Reads wait `delayMs`, then fail with `failureRate`.
// Kept in this instance's memory: each instance is provoked on its own port.

import type { Behaviour, BehaviourChange, Endpoint } from '../../contract.ts';
import { errors } from '../errors.ts';

export interface BehaviourHook {
  get(): Required<Behaviour>;
  /** The fields the change names take its values; the others keep theirs. */
  change(change: BehaviourChange): Required<Behaviour>;
  /** Back to how the instance started (RECOMMENDATIONS_DELAY_MS, no failures, both reads). */
  reset(): Required<Behaviour>;
  /** Runs before a read of `endpoint`: the delay, then maybe the failure. */
  apply(endpoint: Endpoint): Promise<void>;
}

export interface BehaviourDeps {
  /** RECOMMENDATIONS_DELAY_MS: the delay an instance starts with. */
  initialDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const ALL: Endpoint[] = ['related', 'bestsellers'];

export function createBehaviourHook(deps: BehaviourDeps): BehaviourHook {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const initial: Required<Behaviour> = { delayMs: deps.initialDelayMs, failureRate: 0, endpoints: ALL };
  let current = initial;
  const copy = () => ({ ...current, endpoints: [...current.endpoints] });
  return {
    get: copy,
    change(change) {
      current = {
        delayMs: change.delayMs ?? current.delayMs,
        failureRate: change.failureRate ?? current.failureRate,
        endpoints: change.endpoints ? [...change.endpoints] : current.endpoints,
      };
      return copy();
    },
    reset() {
      current = initial;
      return copy();
    },
    async apply(endpoint) {
      const { delayMs, failureRate, endpoints } = current;
      if (!endpoints.includes(endpoint)) return;
      if (delayMs > 0) await sleep(delayMs);
      // random() < 1 always, < 0 never: rates 1 and 0 are exact.
      if (failureRate > 0 && random() < failureRate) {
        throw errors.injectedFailure({
          detail: `Failed on purpose (failureRate ${failureRate}); set it to 0 with PATCH /_admin/recommendations/behaviour, or DELETE it.`,
          headers: { 'retry-after': '1' },
        });
      }
    },
  };
}
