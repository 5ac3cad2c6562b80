// One saga: its status and failure, each step with its compensation, and its log, entry by entry. A
// parked saga can be retried from here. It refreshes every 3 s while a runner works on it (RUNNING or
// COMPENSATING).

import { useRef, useState } from 'react';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { KeyValues } from '../components/KeyValues.tsx';
import { ResultTable } from '../components/ResultTable.tsx';
import { formatTime, plural } from '../format.ts';
import { fetchSaga, retrySaga, type PhaseView, type SagaView } from '../ops.ts';
import { asError, isApiError } from '../problem.ts';
import { Link } from '../router.tsx';
import { isFinal, statusClass } from '../sagas.ts';
import type { Attributes } from '../telemetry.ts';
import { usePolling } from '../use-polling.ts';
import '../styles/ops-a.css';

const EVERY_MS = 3000;
const STEP_HEADERS = ['Step', 'Status', 'Attempts', 'Started', 'Finished', 'Last error', 'Compensation'] as const;
const STEP_NUMERIC = ['Attempts'] as const;
const LOG_HEADERS = ['#', 'At', 'Kind', 'Step', 'Attempt', 'Error', 'Duration ms'] as const;
const LOG_NUMERIC = ['#', 'Attempt', 'Duration ms'] as const;

const timeOf = (value: string | null) => (value === null ? '—' : formatTime(value));

const errorText = (error: { code: string | null; message: string | null }) =>
  [error.code, error.message].filter((part) => part !== null && part !== '').join(': ');

function details(saga: SagaView): Attributes {
  const { failure } = saga;
  const values: Attributes = {
    Service: saga.service,
    Name: saga.name,
    Status: saga.status,
    Attempt: saga.attempt,
    'Current step': saga.currentStep ?? '—',
    Created: formatTime(saga.createdAt),
    Updated: formatTime(saga.updatedAt),
    Finished: timeOf(saga.finishedAt),
    Failure: failure
      ? `${failure.step}: ${failure.message} (${failure.code}, status ${failure.status}, ` +
        `${plural(failure.attempts, 'attempt', 'attempts')}${failure.deadlineExceeded ? ', deadline exceeded' : ''})`
      : 'none',
  };
  if (!isFinal(saga.status)) values['Next attempt'] = formatTime(saga.nextAttemptAt);
  if (saga.leaseOwner !== null) values['Lease owner'] = saga.leaseOwner;
  if (saga.runnerFailures > 0) values['Runner failures'] = saga.runnerFailures;
  return values;
}

function PhaseStatusText({ phase }: { phase: PhaseView }) {
  return <span className={`saga-phase saga-phase-${phase.status.toLowerCase()}`}>{phase.status}</span>;
}

function Steps({ saga }: { saga: SagaView }) {
  return (
    <ResultTable
      caption="Steps"
      headers={STEP_HEADERS}
      numeric={STEP_NUMERIC}
      rowCount={saga.steps.length}
      emptyText="No step has started yet."
    >
      {saga.steps.map((step) => {
        const { compensation } = step;
        return (
          <tr key={step.name} className={step.status === 'FAILED' || compensation?.status === 'FAILED' ? 'has-error' : undefined}>
            <td className="nowrap">
              {step.name}
              {step.name === saga.currentStep && !isFinal(saga.status) && <span className="tag">current</span>}
            </td>
            <td className="nowrap">
              <PhaseStatusText phase={step} />
            </td>
            <td className="num">{step.attempts}</td>
            <td className="nowrap">{timeOf(step.startedAt)}</td>
            <td className="nowrap">{timeOf(step.finishedAt)}</td>
            <td className="saga-failure">{step.lastError ? errorText(step.lastError) : ''}</td>
            <td className="nowrap">
              {compensation ? (
                <>
                  <PhaseStatusText phase={compensation} /> · {plural(compensation.attempts, 'attempt', 'attempts')}
                  {compensation.lastError && <span className="saga-detail error-text">{errorText(compensation.lastError)}</span>}
                </>
              ) : (
                '—'
              )}
            </td>
          </tr>
        );
      })}
    </ResultTable>
  );
}

function Log({ saga }: { saga: SagaView }) {
  return (
    <ResultTable caption="Log" headers={LOG_HEADERS} numeric={LOG_NUMERIC} rowCount={saga.log.length} emptyText="No entry.">
      {saga.log.map((entry) => {
        const error = errorText({ code: entry.errorCode, message: entry.errorMessage });
        return (
          <tr key={entry.seq} className={error ? 'has-error' : undefined}>
            <td className="num">{entry.seq}</td>
            <td className="nowrap">{formatTime(entry.at)}</td>
            <td className="nowrap mono" title={entry.owner ? `By ${entry.owner}` : undefined}>
              {entry.kind}
            </td>
            <td className="nowrap">{entry.step ?? ''}</td>
            <td className="num">{entry.attempt ?? ''}</td>
            <td className="saga-failure">{error}</td>
            <td className="num">{entry.durationMs ?? ''}</td>
          </tr>
        );
      })}
    </ResultTable>
  );
}

export function SagaPage({ service, id }: { service: string; id: string }) {
  // A retry loads the saga again at once: a new round, with what was shown kept on screen meanwhile.
  const [round, setRound] = useState(0);
  const [previous, setPrevious] = useState<SagaView | null>(null);
  const [retrying, setRetrying] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [actionError, setActionError] = useState<Error | null>(null);
  const statusLine = useRef<HTMLParagraphElement>(null);

  // Polled while a runner works on it; not once it is final, nor when there is no such saga.
  const [on, setOn] = useState(true);
  const polled = usePolling(`${service}\u0000${id}#${round}`, (signal) => fetchSaga(service, id, signal), on, EVERY_MS);
  const saga = polled.data ?? previous;
  const notFound = saga === null && isApiError(polled.error) && polled.error.status === 404;
  const wanted = !notFound && (saga === null || !isFinal(saga.status));
  if (wanted !== on) setOn(wanted);

  const retry = async () => {
    setRetrying(true);
    setOutcome(null);
    setActionError(null);
    try {
      const answer = await retrySaga(service, id);
      setOutcome(`Saga ${id} retried: it is ${answer.status} again.`);
      // The button goes with the PARKED status: focus goes to what happened.
      statusLine.current?.focus();
    } catch (err) {
      setActionError(asError(err));
    } finally {
      setRetrying(false);
    }
    setPrevious(saga);
    setRound((n) => n + 1);
  };

  return (
    <>
      <h1 tabIndex={-1} className="saga-heading">
        Saga {id}
      </h1>
      <p>
        <Link to="/sagas">Back to the sagas</Link>
      </p>
      <p role="status" tabIndex={-1} ref={statusLine} className="saga-outcome">
        {outcome ?? (polled.loading && !saga ? 'Loading the saga…' : '')}
      </p>
      <ErrorAlert error={actionError} />
      <ErrorAlert error={notFound ? `No saga ${id} at ${service}.` : polled.error} />
      {saga && (
        <>
          <p className="summary">
            <span className={statusClass(saga.status)}>{saga.status}</span> {saga.name} at {saga.service}
            {saga.currentStep !== null && !isFinal(saga.status) && <>, at step {saga.currentStep}</>}
            {!isFinal(saga.status) && <> (refreshes every {EVERY_MS / 1000} s)</>}.
          </p>
          {saga.status === 'PARKED' && (
            <div className="actions saga-parked-actions">
              <p>No runner works on this saga any more: it waits for a person. Retry runs it again from where it stopped.</p>
              <button type="button" className="primary" disabled={retrying} onClick={() => void retry()}>
                Retry saga
              </button>
            </div>
          )}
          <KeyValues values={details(saga)} />
          <div className="saga-tables">
            <Steps saga={saga} />
            <Log saga={saga} />
          </div>
          <h2>State</h2>
          <pre className="saga-state">{JSON.stringify(saga.state, null, 2)}</pre>
        </>
      )}
    </>
  );
}
