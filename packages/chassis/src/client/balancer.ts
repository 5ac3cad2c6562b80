// Load balancing over a service's instances: smooth weighted round robin
// that skips instances a predicate rejects (open breaker) and, within one
// call, instances already tried. Shared by the service client and the gateway.

import type { ServiceInstance } from '../discovery/types.ts';

export interface PickOptions {
  /** Instances for which this returns false are never picked (e.g. open breaker). */
  accept?: (instance: ServiceInstance) => boolean;
  /**
   * Instance ids already tried in this call. They are avoided while another
   * accepted instance is left; when none is, they are picked again, so a
   * service with a single instance can still be retried.
   */
  tried?: ReadonlySet<string>;
}

/**
 * Smooth weighted round robin (as in nginx): each pick adds every candidate's
 * weight to its running score, takes the highest and subtracts the total from
 * it. Equal weights give plain round robin; 3:1 gives A A B A, spread out
 * rather than in bursts. Instances with weight 0 get no traffic while an
 * instance with a positive weight is available (draining, blue/green).
 *
 * Keep one balancer per service (or per route), for the life of the process.
 */
export class Balancer {
  private readonly scores = new Map<string, number>();

  /** The next instance to call, or undefined when `instances` holds none that `accept` allows. */
  pick(instances: readonly ServiceInstance[], options: PickOptions = {}): ServiceInstance | undefined {
    const { accept, tried } = options;
    let candidates = accept ? instances.filter(accept) : instances;
    if (candidates.length === 0) return undefined;
    const weighted = candidates.filter((i) => i.weight > 0);
    if (weighted.length > 0) candidates = weighted;
    if (tried && tried.size > 0) {
      const fresh = candidates.filter((i) => !tried.has(i.instanceId));
      if (fresh.length > 0) candidates = fresh;
    }
    if (candidates.length === 1) return candidates[0];

    let total = 0;
    let best: ServiceInstance | undefined;
    let bestScore = -Infinity;
    for (const instance of candidates) {
      // All-zero weights fall through to here too: treat them as equal.
      const weight = instance.weight > 0 ? instance.weight : 1;
      const score = (this.scores.get(instance.instanceId) ?? 0) + weight;
      this.scores.set(instance.instanceId, score);
      total += weight;
      if (score > bestScore) {
        bestScore = score;
        best = instance;
      }
    }
    this.scores.set(best!.instanceId, bestScore - total);
    this.prune(instances);
    return best;
  }

  /** Forgets instances that left, so a long-lived balancer does not grow with churn. */
  private prune(instances: readonly ServiceInstance[]): void {
    if (this.scores.size <= instances.length * 2 + 8) return;
    const live = new Set(instances.map((i) => i.instanceId));
    for (const id of this.scores.keys()) if (!live.has(id)) this.scores.delete(id);
  }
}
