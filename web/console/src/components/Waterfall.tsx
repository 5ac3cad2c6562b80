// The trace's spans as a list of buttons, indented by depth, each with a bar on the trace's time line.
// Tab or the arrow keys move between spans; Enter, Space or a click selects one.

import { useId, useRef, type KeyboardEvent } from 'react';
import { formatDuration } from '../format.ts';
import type { WaterfallRow } from '../span-tree.ts';
import { isError, kindName } from '../telemetry.ts';

interface Props {
  rows: readonly WaterfallRow[];
  selectedId: string | null;
  onSelect(spanId: string): void;
}

const INDENT_REM = 0.9;

/** Named "service span-name" (what a person looks for); kind, duration and error are its description. */
function SpanRow({ row, selected, onSelect }: { row: WaterfallRow; selected: boolean; onSelect(spanId: string): void }) {
  const id = useId();
  const { span, depth, offsetPct, widthPct } = row;
  const failed = isError(span);
  return (
    <li>
      <button
        type="button"
        className={`span-row${failed ? ' is-error' : ''}`}
        aria-pressed={selected}
        aria-labelledby={`${id}-service ${id}-name`}
        aria-describedby={`${id}-kind ${id}-duration${failed ? ` ${id}-error` : ''}`}
        onClick={() => onSelect(span.spanId)}
      >
        <span className="span-label" style={{ paddingInlineStart: `${depth * INDENT_REM}rem` }}>
          <span id={`${id}-service`} className="span-service">
            {span.service}
          </span>{' '}
          <span id={`${id}-name`} className="span-name">
            {span.name}
          </span>{' '}
          <span id={`${id}-kind`} className="span-kind">
            {kindName(span.kind)}
          </span>
        </span>
        <span className="span-track" aria-hidden="true">
          <span className="span-bar" style={{ left: `${offsetPct}%`, width: `${widthPct}%` }} />
        </span>
        <span id={`${id}-duration`} className="span-duration">
          {formatDuration(span.durationMs)}
        </span>
        {failed && (
          <span id={`${id}-error`} className="span-error">
            error{span.statusMessage ? `: ${span.statusMessage}` : ''}
          </span>
        )}
      </button>
    </li>
  );
}

export function Waterfall({ rows, selectedId, onSelect }: Props) {
  const list = useRef<HTMLOListElement>(null);

  const move = (event: KeyboardEvent<HTMLOListElement>) => {
    const buttons = [...(list.current?.querySelectorAll<HTMLButtonElement>('button.span-row') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const target = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (target === undefined || target < 0 || target >= buttons.length) return;
    event.preventDefault();
    buttons[target]?.focus();
    const row = rows[target];
    if (row) onSelect(row.span.spanId);
  };

  return (
    <ol className="waterfall" aria-label="Spans" ref={list} onKeyDown={move}>
      {rows.map((row) => (
        <SpanRow key={row.span.spanId} row={row} selected={row.span.spanId === selectedId} onSelect={onSelect} />
      ))}
    </ol>
  );
}
