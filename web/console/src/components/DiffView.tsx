// A line diff (line-diff.ts) as a list of lines in a named region: a summary first, then each line with
// its marker (+ added, − removed) and, for a screen reader, "Added:" or "Removed:" before it, so that
// the colour is never the only sign. Long runs of unchanged lines fold to "N unchanged lines" around
// `context` lines each side of a change.

import { diffSummary, type DiffLine } from '../line-diff.ts';
import '../styles/ops-b.css';

interface Props {
  diff: readonly DiffLine[];
  /** The region's accessible name: "Schema diff", "Changes". */
  label: string;
  /** Unchanged lines kept on each side of a change; all of them when absent. */
  context?: number;
}

type Item = { kind: 'line'; line: DiffLine } | { kind: 'fold'; count: number };

const MARKER = { same: ' ', added: '+', removed: '−' } as const;
const SPOKEN = { same: '', added: 'Added: ', removed: 'Removed: ' } as const;

/** The lines to show: runs of unchanged lines longer than twice the context folded to a count. */
function itemsOf(diff: readonly DiffLine[], context: number | undefined): Item[] {
  const items: Item[] = [];
  let i = 0;
  while (i < diff.length) {
    const line = diff[i]!;
    if (line.kind !== 'same' || context === undefined) {
      items.push({ kind: 'line', line });
      i++;
      continue;
    }
    let end = i;
    while (end < diff.length && diff[end]!.kind === 'same') end++;
    const keepBefore = i === 0 ? 0 : context;
    const keepAfter = end === diff.length ? 0 : context;
    const folded = end - i - keepBefore - keepAfter;
    if (folded <= 1) {
      for (let k = i; k < end; k++) items.push({ kind: 'line', line: diff[k]! });
    } else {
      for (let k = i; k < i + keepBefore; k++) items.push({ kind: 'line', line: diff[k]! });
      items.push({ kind: 'fold', count: folded });
      for (let k = end - keepAfter; k < end; k++) items.push({ kind: 'line', line: diff[k]! });
    }
    i = end;
  }
  return items;
}

export function DiffView({ diff, label, context }: Props) {
  const items = itemsOf(diff, context);
  const changed = diff.some((line) => line.kind !== 'same');
  return (
    // Focusable, so that a keyboard can scroll it when its lines are wider than the screen.
    <div className="diff" role="region" aria-label={label} tabIndex={0}>
      <p className="diff-summary">{diffSummary(diff)}</p>
      {changed && (
        <ol className="diff-lines" aria-label={`${label}: lines`}>
          {items.map((item, index) =>
            item.kind === 'fold' ? (
              <li key={index} className="diff-fold">
                ⋯ {item.count} unchanged lines
              </li>
            ) : (
              <li key={index} className={`diff-line diff-${item.line.kind}`}>
                <span className="diff-marker" aria-hidden="true">
                  {MARKER[item.line.kind]}
                </span>
                {SPOKEN[item.line.kind] && <span className="diff-sr-only">{SPOKEN[item.line.kind]}</span>}
                <span className="diff-text">{item.line.text}</span>
              </li>
            ),
          )}
        </ol>
      )}
    </div>
  );
}
