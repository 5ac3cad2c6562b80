// The sagas of every service that runs them (orders runs the checkout), newest first, narrowed by status;
// a saga's id opens it. The status filter lives in the URL (?status=); the list refreshes every 3 s.

import { useState } from 'react';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { SelectField } from '../components/fields.tsx';
import { ResultTable } from '../components/ResultTable.tsx';
import { SearchForm } from '../components/SearchForm.tsx';
import { RefreshToggle } from '../components/Toggle.tsx';
import { formatTime, plural } from '../format.ts';
import { fetchSagas, type SagaStatus, type SagaSummary, type Unreachable } from '../ops.ts';
import { toSearch, valueOf } from '../query.ts';
import { Link, navigate } from '../router.tsx';
import { failureText, isSagaStatus, SAGA_STATUSES, sagaPath, statusClass, statusCounts } from '../sagas.ts';
import { usePolling } from '../use-polling.ts';
import '../styles/ops-a.css';

const EVERY_SECONDS = 3;
const LIMIT = 100;
const HEADERS = ['Saga', 'Service', 'Name', 'Status', 'Current step', 'Failure', 'Updated'] as const;
const STATUS_OPTIONS = [{ value: '', label: 'All' }, ...SAGA_STATUSES.map((s) => ({ value: s, label: s }))];

type Answer = { sagas: SagaSummary[] } & Unreachable;

function statusOf(source: URLSearchParams | FormData): SagaStatus | undefined {
  const status = valueOf(source, 'status');
  return isSagaStatus(status) ? status : undefined;
}

const listPath = (status: SagaStatus | undefined) => `/sagas${toSearch({ status })}`;

export function SagasPage({ params }: { params: URLSearchParams }) {
  const status = statusOf(params);
  const path = listPath(status);
  const [refreshing, setRefreshing] = useState(true);
  // Search on the same filter loads the list again at once: a new round, with what was shown kept on
  // screen meanwhile.
  const [round, setRound] = useState(0);
  const [previous, setPrevious] = useState<{ path: string; answer: Answer; at: number | null } | null>(null);
  const polled = usePolling(
    `${path}#${round}`,
    (signal) => fetchSagas({ status, limit: LIMIT }, signal),
    refreshing,
    EVERY_SECONDS * 1000,
  );
  const kept = previous?.path === path ? previous : null;
  const answer = polled.data ?? kept?.answer ?? null;
  const updatedAt = polled.data ? polled.updatedAt : (kept?.at ?? null);

  const onSearch = (form: FormData) => {
    const next = listPath(statusOf(form));
    if (next !== path) return navigate(next);
    if (answer) setPrevious({ path, answer, at: updatedAt });
    setRound((n) => n + 1);
  };

  const sagas = answer?.sagas ?? [];
  const counts = statusCounts(sagas);

  return (
    <>
      <h1 tabIndex={-1}>Sagas</h1>
      <SearchForm
        label="Filter sagas"
        onSearch={onSearch}
        extra={
          <RefreshToggle
            on={refreshing}
            onToggle={() => setRefreshing((on) => !on)}
            updatedAt={updatedAt}
            everySeconds={EVERY_SECONDS}
          />
        }
      >
        <SelectField
          label="Status"
          name="status"
          value={status ?? ''}
          options={STATUS_OPTIONS}
          onChange={(event) => navigate(listPath(isSagaStatus(event.target.value) ? event.target.value : undefined))}
        />
      </SearchForm>
      <ErrorAlert error={polled.error} />
      {polled.loading && !answer && <p role="status">Loading the sagas…</p>}
      {answer && answer.unreachable.length > 0 && (
        <p className="warn-text saga-unreachable">
          Not every service could be asked, so sagas may be missing:{' '}
          {answer.unreachable.map((u) => `${u.service} (${u.error})`).join('; ')}.
        </p>
      )}
      {answer && (
        <p className="summary">
          {sagas.length >= LIMIT ? `The newest ${LIMIT} sagas` : plural(sagas.length, 'saga', 'sagas')}
          {counts && `: ${counts}`}
        </p>
      )}
      {answer && (
        <ResultTable
          caption="Sagas"
          headers={HEADERS}
          rowCount={sagas.length}
          emptyText={status ? `No saga is ${status}.` : 'No saga has run yet.'}
        >
          {sagas.map((saga) => (
            <tr
              key={`${saga.service}\u0000${saga.id}`}
              className={saga.status === 'PARKED' || saga.failure ? 'has-error' : undefined}
            >
              <td className="nowrap">
                <Link className="mono" to={sagaPath(saga.service, saga.id)}>
                  {saga.id}
                </Link>
              </td>
              <td className="nowrap">{saga.service}</td>
              <td className="nowrap">{saga.name}</td>
              <td className="nowrap">
                <span className={statusClass(saga.status)}>{saga.status}</span>
              </td>
              <td className="nowrap">{saga.currentStep ?? '—'}</td>
              <td className="saga-failure">{failureText(saga.failure)}</td>
              <td className="nowrap">{formatTime(saga.updatedAt)}</td>
            </tr>
          ))}
        </ResultTable>
      )}
    </>
  );
}
