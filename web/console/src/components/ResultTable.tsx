// A results table that scrolls sideways on a narrow screen, and the "Older" pager under it.

import { useId, type ReactNode } from 'react';

interface TableProps {
  caption: string;
  headers: readonly string[];
  /** Headers of right-aligned (number) columns. */
  numeric?: readonly string[];
  rowCount: number;
  /** Shown as the only row when there is none. */
  emptyText: string | null;
  children: ReactNode;
}

export function ResultTable({ caption, headers, numeric = [], rowCount, emptyText, children }: TableProps) {
  const captionId = useId();
  return (
    // Focusable, so that a keyboard can scroll it when it is wider than the screen.
    <div className="table-scroll" role="region" aria-labelledby={captionId} tabIndex={0}>
      <table>
        <caption id={captionId}>{caption}</caption>
        <thead>
          <tr>
            {headers.map((header) => (
              <th key={header} scope="col" className={numeric.includes(header) ? 'num' : undefined}>
                {header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {children}
          {rowCount === 0 && emptyText !== null && (
            <tr>
              <td colSpan={headers.length} className="empty">
                {emptyText}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

interface PagerProps {
  loading: boolean;
  count: number;
  /** "trace"/"traces" */
  noun: readonly [string, string];
  hasOlder: boolean;
  onOlder(): void;
}

export function Pager({ loading, count, noun, hasOlder, onOlder }: PagerProps) {
  return (
    <div className="pager">
      <span role="status">{loading ? 'Loading…' : `${count} ${count === 1 ? noun[0] : noun[1]} shown`}</span>
      {hasOlder && (
        <button type="button" onClick={onOlder} disabled={loading}>
          Older
        </button>
      )}
    </div>
  );
}
