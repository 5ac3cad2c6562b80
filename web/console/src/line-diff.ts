// A line diff of two texts (settings, schemas): the longest common subsequence of their lines, each line
// then same, added or removed, removals before additions where a line changed. The table takes n·m cells:
// past MAX_DIFF_CELLS (2,000 × 2,000 lines) the middle is told as all removed, then all added, rather
// than hold the page up. Lines both texts start or end with are matched first and cost no cells.

export type DiffKind = 'same' | 'added' | 'removed';

export interface DiffLine {
  kind: DiffKind;
  text: string;
}

export const MAX_DIFF_CELLS = 2_000 * 2_000;

/** A text's lines; the empty text has none (not one empty line), and a final newline ends the last one. */
export function linesOf(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Whether `before` and `after` (line counts) are compared line by line, or told as all replaced. */
export function withinDiffLimit(before: number, after: number, maxCells = MAX_DIFF_CELLS): boolean {
  return before * after <= maxCells;
}

/** The lines of `before` and `after` as same, removed and added, in order. */
export function diffLines(before: readonly string[], after: readonly string[], maxCells = MAX_DIFF_CELLS): DiffLine[] {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  const same = (lines: readonly string[]) => lines.map((text): DiffLine => ({ kind: 'same', text }));
  const head = same(before.slice(0, start));
  const tail = same(before.slice(endBefore));
  const a = before.slice(start, endBefore);
  const b = after.slice(start, endAfter);
  const removed = (text: string): DiffLine => ({ kind: 'removed', text });
  const added = (text: string): DiffLine => ({ kind: 'added', text });
  if (a.length === 0 || b.length === 0 || !withinDiffLimit(a.length, b.length, maxCells)) {
    return [...head, ...a.map(removed), ...b.map(added), ...tail];
  }

  // lcs[i * width + j]: the length of the longest common subsequence of a[i..] and b[j..].
  const n = a.length;
  const m = b.length;
  const width = m + 1;
  // Within the limit one side has at most 2,000 lines, so a length fits 16 bits.
  const lcs = n <= 0xffff || m <= 0xffff ? new Uint16Array((n + 1) * width) : new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[i] === b[j] ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }

  const middle: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      middle.push({ kind: 'same', text: a[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) {
      middle.push(removed(a[i]!));
      i++;
    } else {
      middle.push(added(b[j]!));
      j++;
    }
  }
  for (; i < n; i++) middle.push(removed(a[i]!));
  for (; j < m; j++) middle.push(added(b[j]!));
  return [...head, ...middle, ...tail];
}

/** The diff of two texts, line by line. */
export function diffTexts(before: string, after: string, maxCells = MAX_DIFF_CELLS): DiffLine[] {
  return diffLines(linesOf(before), linesOf(after), maxCells);
}

export function diffCounts(diff: readonly DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of diff) {
    if (line.kind === 'added') added++;
    else if (line.kind === 'removed') removed++;
  }
  return { added, removed };
}

/** "3 lines added, 1 removed", "1 line removed", "No changes." */
export function diffSummary(diff: readonly DiffLine[]): string {
  const { added, removed } = diffCounts(diff);
  const lines = (count: number) => `${count} ${count === 1 ? 'line' : 'lines'}`;
  if (added > 0 && removed > 0) return `${lines(added)} added, ${removed} removed`;
  if (added > 0) return `${lines(added)} added`;
  if (removed > 0) return `${lines(removed)} removed`;
  return 'No changes.';
}
