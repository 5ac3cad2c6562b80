// Stock arithmetic as pure functions: what a move (reserve, release, commit,
// return, take) does to the levels it touches, whether it fits, and which
// levels it pushed across their low-stock threshold. I/O lives in the stores.

import type { StockLine } from '../../contract.ts';

export interface Level {
  productId: string;
  onHand: number;
  reserved: number;
  lowStockThreshold: number;
}

/**
 * reserve: set units aside (needs them available); release: give held units back;
 * commit: held units leave the warehouse; return: committed units come back;
 * take: units leave at once without a hold (re-taking an expired reservation; needs them available).
 */
export type StockMove = 'reserve' | 'release' | 'commit' | 'return' | 'take';

export interface Shortage {
  productId: string;
  requested: number;
  available: number;
}

export type MoveResult = { ok: true; levels: Level[]; crossedLow: Level[] } | { ok: false; shortage: Shortage };

export const availableOf = (level: Level): number => level.onHand - level.reserved;

const isLow = (level: Level): boolean => availableOf(level) <= level.lowStockThreshold;

/** StockLow is news once, when a level goes from above its threshold to at or below it. */
export function crossedLow(before: Level, after: Level): boolean {
  return !isLow(before) && isLow(after);
}

const DELTAS: Record<StockMove, { onHand: number; reserved: number; needsAvailable: boolean }> = {
  reserve: { onHand: 0, reserved: 1, needsAvailable: true },
  release: { onHand: 0, reserved: -1, needsAvailable: false },
  commit: { onHand: -1, reserved: -1, needsAvailable: false },
  return: { onHand: 1, reserved: 0, needsAvailable: false },
  take: { onHand: -1, reserved: 0, needsAvailable: true },
};

/**
 * Applies `move` for every line, all or nothing. A missing level has nothing
 * available; for the moves that give units back or use held ones, a missing
 * level or a negative result means the books are broken, which throws.
 */
export function moveStock(levels: ReadonlyMap<string, Level>, move: StockMove, lines: readonly StockLine[]): MoveResult {
  const delta = DELTAS[move];
  const changed: Level[] = [];
  const crossed: Level[] = [];
  for (const line of lines) {
    const before = levels.get(line.productId);
    if (delta.needsAvailable) {
      const available = before ? availableOf(before) : 0;
      if (!before || available < line.quantity)
        return { ok: false, shortage: { productId: line.productId, requested: line.quantity, available } };
    }
    if (!before) throw new Error(`${move} of ${line.quantity} units of ${line.productId}: inventory has no level for it`);
    const after: Level = {
      ...before,
      onHand: before.onHand + delta.onHand * line.quantity,
      reserved: before.reserved + delta.reserved * line.quantity,
    };
    if (after.onHand < 0 || after.reserved < 0 || after.reserved > after.onHand) {
      throw new Error(
        `${move} of ${line.quantity} units of ${line.productId} would leave on_hand ${after.onHand}, reserved ${after.reserved}`,
      );
    }
    changed.push(after);
    if (crossedLow(before, after)) crossed.push(after);
  }
  return { ok: true, levels: changed, crossedLow: crossed };
}

export type PutLevelResult = { ok: true; level: Level; crossedLow: boolean } | { ok: false; reserved: number };

/**
 * An admin sets a product's units (and maybe its threshold). A new level
 * announces nothing: StockLow is about a level falling, not one starting low.
 */
export function decidePutLevel(
  before: Level | undefined,
  productId: string,
  body: { onHand: number; lowStockThreshold?: number | undefined },
  defaultThreshold: number,
): PutLevelResult {
  const reserved = before?.reserved ?? 0;
  if (body.onHand < reserved) return { ok: false, reserved };
  const level: Level = {
    productId,
    onHand: body.onHand,
    reserved,
    lowStockThreshold: body.lowStockThreshold ?? before?.lowStockThreshold ?? defaultThreshold,
  };
  return { ok: true, level, crossedLow: before !== undefined && crossedLow(before, level) };
}
