// A button that stays pressed (aria-pressed): Live tail on the logs, Refresh every 5 s on the map and the
// metrics, with when the shown data came.

import type { ReactNode } from 'react';
import { formatClock } from '../format.ts';

interface Props {
  pressed: boolean;
  onToggle(): void;
  children: ReactNode;
}

export function Toggle({ pressed, onToggle, children }: Props) {
  return (
    <button type="button" className="toggle" aria-pressed={pressed} onClick={onToggle}>
      {children}
    </button>
  );
}

interface RefreshProps {
  on: boolean;
  onToggle(): void;
  /** When the shown data came (ms since the epoch). */
  updatedAt: number | null;
  everySeconds?: number;
}

/** Not a live region: a sentence read out every 5 s would drown everything else. */
export function RefreshToggle({ on, onToggle, updatedAt, everySeconds = 5 }: RefreshProps) {
  return (
    <div className="refresh">
      <Toggle pressed={on} onToggle={onToggle}>
        Refresh every {everySeconds} s
      </Toggle>
      {updatedAt !== null && <span className="muted">Updated {formatClock(updatedAt)}</span>}
    </div>
  );
}
