// Log lines in a table; a row opens to show its whole line (JSON pretty-printed). Lines logged in the
// span the page was opened for are marked.

import type { MouseEvent } from 'react';
import { formatTime, prettyLine } from '../format.ts';
import { toSearch } from '../query.ts';
import { Link } from '../router.tsx';
import { levelName, type LogLine } from '../telemetry.ts';
import { ResultTable } from './ResultTable.tsx';

const HEADERS = ['Time', 'Service', 'Instance', 'Level', 'Message', 'Trace'] as const;

interface Props {
  lines: readonly LogLine[];
  emptyText: string | null;
  openKey: string | null;
  onToggle(key: string): void;
  /** A span id whose lines are marked. */
  markedSpan: string | undefined;
}

export function LogTable({ lines, emptyText, openKey, onToggle, markedSpan }: Props) {
  return (
    <ResultTable caption="Log lines" headers={HEADERS} rowCount={lines.length} emptyText={emptyText}>
      {lines.map((line) => {
        const open = line.key === openKey;
        const level = levelName(line.level);
        const marked = markedSpan !== undefined && line.spanId === markedSpan;
        // A click anywhere on the row opens it; the message is the row's button for the keyboard.
        const clickRow = (event: MouseEvent<HTMLTableRowElement>) => {
          if (!(event.target as Element).closest('a, button')) onToggle(line.key);
        };
        return [
          <tr key={line.key} className={`log-row${open ? ' open' : ''}${marked ? ' marked' : ''}`} onClick={clickRow}>
            <td className="nowrap mono">{formatTime(line.time)}</td>
            <td className="nowrap">{line.service}</td>
            <td className="nowrap">{line.instance}</td>
            <td className={`nowrap level level-${level}`}>{level}</td>
            <td className="message">
              <button type="button" className="row-button" aria-expanded={open} onClick={() => onToggle(line.key)}>
                {line.msg || '(no message)'}
              </button>
            </td>
            <td className="nowrap">
              {line.traceId && (
                <Link
                  className="mono trace-link"
                  title={line.traceId}
                  to={`/traces/${line.traceId}${toSearch({ span: line.spanId })}`}
                >
                  {line.traceId}
                </Link>
              )}
              {marked && <span className="tag">this span</span>}
            </td>
          </tr>,
          open && (
            <tr key={`${line.key}-line`} className="line-detail">
              <td colSpan={HEADERS.length}>
                <pre>{prettyLine(line.line)}</pre>
              </td>
            </tr>
          ),
        ];
      })}
    </ResultTable>
  );
}
