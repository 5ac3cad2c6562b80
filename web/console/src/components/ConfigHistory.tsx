// A service's settings versions, newest first: when, who, why and which settings each changed, with a
// button per older version that makes its settings the next version (a rollback, audited like a change).

import { formatTime } from '../format.ts';
import type { HistoryEntry } from '../config-api.ts';
import { ResultTable } from './ResultTable.tsx';

const HEADERS = ['Version', 'At', 'Author', 'Reason', 'Changes', 'Roll back'] as const;
const NUMERIC = ['Version'] as const;

interface Props {
  versions: readonly HistoryEntry[];
  /** The version in effect: the older ones can be rolled back to. */
  current: number;
  /** A rollback is under way: no other starts. */
  busy: boolean;
  onRollback(version: number): void;
}

export function ConfigHistory({ versions, current, busy, onRollback }: Props) {
  return (
    <ResultTable
      caption="History"
      headers={HEADERS}
      numeric={NUMERIC}
      rowCount={versions.length}
      emptyText="No version yet: the service runs on its defaults."
    >
      {versions.map((v) => (
        <tr key={v.version}>
          <td className="num nowrap">
            {v.version}
            {v.version === current && <span className="muted"> (current)</span>}
            {v.rollbackOf !== undefined && <span className="muted"> (restores {v.rollbackOf})</span>}
          </td>
          <td className="nowrap">{v.createdAt ? formatTime(v.createdAt) : '—'}</td>
          <td className="nowrap">{v.author ?? '—'}</td>
          <td>{v.reason ?? '—'}</td>
          <td className="config-changes">
            {v.changes.length === 0 ? (
              <span className="muted">none</span>
            ) : (
              v.changes.map((c, i) => (
                <span key={c.path}>
                  {i > 0 && ', '}
                  <code>{c.path}</code>
                </span>
              ))
            )}
          </td>
          <td className="nowrap">
            {v.version < current && (
              <button
                type="button"
                disabled={busy}
                aria-label={`Roll back to version ${v.version}`}
                onClick={() => onRollback(v.version)}
              >
                Roll back
              </button>
            )}
          </td>
        </tr>
      ))}
    </ResultTable>
  );
}
