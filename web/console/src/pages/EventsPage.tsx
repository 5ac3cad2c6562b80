// The event layer: every service's outbox (what it publishes, how much is not out yet), every consumer's
// cursor on each producer's feed with its lag, and the dead letters, each opening to its event and a
// Redrive button. It refreshes every 3 s; "Show redriven" lives in the URL (?redriven=1).

import { useState } from 'react';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { ConsumersTable, DeadLettersTable, EventsUnreachable, ProducersTable } from '../components/EventsTables.tsx';
import { CheckboxField } from '../components/fields.tsx';
import { RefreshToggle } from '../components/Toggle.tsx';
import { fetchDeadLetters, fetchEvents } from '../ops.ts';
import { toSearch } from '../query.ts';
import { navigate } from '../router.tsx';
import { usePolling } from '../use-polling.ts';
import '../styles/ops-b.css';

const EVERY_MS = 3000;

export function EventsPage({ params }: { params: URLSearchParams }) {
  const includeRedriven = params.get('redriven') === '1';
  const [refreshing, setRefreshing] = useState(true);

  const events = usePolling('events', (signal) => fetchEvents(signal), refreshing, EVERY_MS);
  const letters = usePolling(
    `dead-letters?redriven=${includeRedriven}`,
    (signal) => fetchDeadLetters({ includeRedriven }, signal),
    refreshing,
    EVERY_MS,
  );

  const services = events.data?.services ?? [];
  const showRedriven = (on: boolean) => navigate(`/events${toSearch({ redriven: on ? 1 : undefined })}`);

  return (
    <>
      <h1 tabIndex={-1}>Events</h1>
      <div className="controls">
        <RefreshToggle
          on={refreshing}
          onToggle={() => setRefreshing((on) => !on)}
          updatedAt={events.updatedAt}
          everySeconds={EVERY_MS / 1000}
        />
      </div>
      <EventsUnreachable answers={[events.data, letters.data]} />

      <ErrorAlert error={events.error} />
      {events.loading && <p role="status">Loading the event layer…</p>}
      <div className="ops-tables">
        <ProducersTable services={services} emptyText={events.data ? 'No service publishes events.' : null} />
        <ConsumersTable services={services} emptyText={events.data ? 'No service consumes events.' : null} />
      </div>

      <div className="ops-section">
        <div className="controls">
          <CheckboxField
            label="Show redriven"
            name="redriven"
            checked={includeRedriven}
            onChange={(event) => showRedriven(event.target.checked)}
          />
        </div>
        <ErrorAlert error={letters.error} />
        {letters.loading && <p role="status">Loading the dead letters…</p>}
        <DeadLettersTable
          letters={letters.data?.deadLetters ?? []}
          emptyText={letters.data ? 'No dead letters: every event was handled.' : null}
        />
      </div>
    </>
  );
}
