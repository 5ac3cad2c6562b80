// One dead letter: the event a consumer gave up on, why, and a Redrive button that hands it to the
// consumer once more. A redriven letter shows when it was; one that fails again stays, with the error.

import { useEffect, useId, useState } from 'react';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { KeyValues } from '../components/KeyValues.tsx';
import { formatTime } from '../format.ts';
import { fetchDeadLetter, redriveDeadLetter, type DeadLetter } from '../ops.ts';
import { asError } from '../problem.ts';
import { Link } from '../router.tsx';
import '../styles/ops-b.css';

const BAD_ID = 'A dead letter’s id is a whole number above 0.';

function detailsOf(letter: DeadLetter) {
  return {
    Service: letter.service,
    'Event id': letter.eventId,
    Type: letter.type,
    Source: letter.source,
    Attempts: letter.attempts,
    'Dead at': formatTime(letter.deadAt),
    'Redriven at': letter.redrivenAt ? formatTime(letter.redrivenAt) : 'not redriven',
    Error: letter.error,
  };
}

export function DeadLetterPage({ service, id }: { service: string; id: number }) {
  const valid = Number.isSafeInteger(id) && id > 0;
  const redrivenId = useId();
  const [letter, setLetter] = useState<DeadLetter | null>(null);
  const [loadError, setLoadError] = useState<Error | null>(null);
  /** Bumped to read the letter again (after a redrive); what is shown stays until it answers. */
  const [round, setRound] = useState(0);
  const [redriving, setRedriving] = useState(false);
  const [done, setDone] = useState('');
  const [redriveError, setRedriveError] = useState<Error | null>(null);

  useEffect(() => {
    if (!valid) return;
    const controller = new AbortController();
    fetchDeadLetter(service, id, controller.signal).then(
      (answer) => {
        setLetter(answer);
        setLoadError(null);
      },
      (err: unknown) => {
        if (!controller.signal.aborted) setLoadError(asError(err));
      },
    );
    return () => controller.abort();
  }, [service, id, valid, round]);

  const redrive = async () => {
    setRedriving(true);
    setDone('');
    setRedriveError(null);
    try {
      const answer = await redriveDeadLetter(service, id);
      setDone(`Redriven: ${answer.outcome}`);
    } catch (err) {
      setRedriveError(asError(err));
    } finally {
      setRedriving(false);
      // Either way the letter changed: a time redriven, or one more attempt and its error.
      setRound((r) => r + 1);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Dead letter {id}</h1>
      <p className="ops-back">
        <Link to="/events">Back to events</Link>
      </p>
      <ErrorAlert error={valid ? loadError : BAD_ID} />
      {valid && !letter && !loadError && <p role="status">Loading the dead letter…</p>}
      {letter && (
        <>
          <KeyValues values={detailsOf(letter)} />
          <div className="actions ops-section">
            <button
              type="button"
              className="primary"
              disabled={letter.redrivenAt !== null || redriving}
              aria-describedby={letter.redrivenAt !== null ? redrivenId : undefined}
              onClick={() => void redrive()}
            >
              Redrive
            </button>
            {letter.redrivenAt !== null && (
              <span id={redrivenId} className="muted">
                Already redriven at {formatTime(letter.redrivenAt)}.
              </span>
            )}
            {redriving && <span className="muted">Redriving…</span>}
          </div>
          <p role="status" className="ops-done">
            {done}
          </p>
          <ErrorAlert error={redriveError} />
          <h2>The event</h2>
          {letter.event ? (
            <div className="code-block" role="region" aria-label="CloudEvent" tabIndex={0}>
              <pre>{JSON.stringify(letter.event, null, 2)}</pre>
            </div>
          ) : (
            <p className="muted">The consumer kept no copy of the event.</p>
          )}
        </>
      )}
    </>
  );
}
