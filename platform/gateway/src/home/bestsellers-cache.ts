// The last good bestsellers answer, kept in the gateway's memory so that the
// home page still shows bestsellers while recommendations is down or slow.

import type { RecommendedProduct } from '../../contract.ts';

export interface KeptBestsellers {
  items: RecommendedProduct[];
  /** When the gateway got them (ms since the epoch). */
  at: number;
}

/**
 * One entry, replaced on every successful bestsellers call. Per gateway
 * instance and lost on restart: a fallback, not a source of truth. An empty
 * answer is not kept, so it never replaces a useful one.
 */
export class BestsellersCache {
  #kept: KeptBestsellers | undefined;

  remember(items: readonly RecommendedProduct[], at: number): void {
    if (items.length === 0) return;
    this.#kept = { items: [...items], at };
  }

  last(): KeptBestsellers | undefined {
    return this.#kept;
  }
}
