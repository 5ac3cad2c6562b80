// An instance's controls (Kill, Pause, Resume, Restart), those its process state allows, each named with
// the instance. A button pressed goes away with the state it changed (Kill leaves Restart): for a short
// while after a press, focus that fell to the page goes back to this row's first button, so that a keyboard
// keeps its place.

import { useEffect, useRef } from 'react';
import { ACTION_LABELS, actionsFor } from '../instances.ts';
import type { InstanceAction, ProcessState } from '../ops.ts';

/** How long after a press lost focus comes back here. */
const KEEP_FOCUS_MS = 10_000;

interface Props {
  instanceId: string;
  state: ProcessState;
  /** A call for this instance is in flight. */
  busy: boolean;
  onAction(instanceId: string, action: InstanceAction): void;
}

export function InstanceActions({ instanceId, state, busy, onAction }: Props) {
  const actions = actionsFor(state);
  const group = useRef<HTMLDivElement>(null);
  /** Until when focus that fell to the page comes back here. */
  const keepUntil = useRef(0);

  const shown = actions.join(' ');
  useEffect(() => {
    if (Date.now() > keepUntil.current) return;
    const active = document.activeElement;
    if (active !== null && active !== document.body) return;
    group.current?.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus();
  }, [busy, shown]);

  if (actions.length === 0) return <span className="muted">—</span>;
  return (
    <div
      className="inst-actions"
      ref={group}
      onBlur={(event) => {
        // Focus moved on to something else: the person went elsewhere.
        const next = event.relatedTarget;
        if (next !== null && !group.current?.contains(next)) keepUntil.current = 0;
      }}
    >
      {actions.map((action) => (
        <button
          key={action}
          type="button"
          className={action === 'kill' ? 'inst-kill' : undefined}
          aria-label={`${ACTION_LABELS[action]} ${instanceId}`}
          disabled={busy}
          onClick={() => {
            keepUntil.current = Date.now() + KEEP_FOCUS_MS;
            onAction(instanceId, action);
          }}
        >
          {ACTION_LABELS[action]}
        </button>
      ))}
    </div>
  );
}
