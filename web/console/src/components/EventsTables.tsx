// The event layer in tables: who publishes (their outbox), who consumes whom and how far behind, and the
// dead letters; and the sentence naming the services the console could not ask.

import { formatTime } from '../format.ts';
import type { DeadLetter, ServiceEvents, Unreachable } from '../ops.ts';
import { Link } from '../router.tsx';
import { ResultTable } from './ResultTable.tsx';

const byName = (a: ServiceEvents, b: ServiceEvents) => a.service.localeCompare(b.service);

const PRODUCER_HEADERS = ['Service', 'Transport', 'Publishes', 'Outbox head', 'Unpublished'] as const;
const PRODUCER_NUMERIC = ['Outbox head', 'Unpublished'] as const;

export function ProducersTable({ services, emptyText }: { services: readonly ServiceEvents[]; emptyText: string | null }) {
  const producers = services.filter((s) => s.status.publishes.length > 0 || s.status.outbox.head > 0).sort(byName);
  return (
    <ResultTable
      caption="Producers"
      headers={PRODUCER_HEADERS}
      numeric={PRODUCER_NUMERIC}
      rowCount={producers.length}
      emptyText={emptyText}
    >
      {producers.map(({ service, status }) => {
        const backlog = status.outbox.unpublished;
        return (
          <tr key={service}>
            <td className="nowrap">{service}</td>
            <td className="nowrap">{status.transport}</td>
            <td>{status.publishes.length === 0 ? '—' : status.publishes.map((p) => p.type).join(', ')}</td>
            <td className="num">{status.outbox.head}</td>
            <td className={`num${backlog !== null && backlog > 0 ? ' warn-text' : ''}`}>{backlog === null ? '—' : backlog}</td>
          </tr>
        );
      })}
    </ResultTable>
  );
}

const CONSUMER_HEADERS = ['Consumer', 'Producer', 'Position', 'Lag', 'Lease owner', 'Failing', 'Dead letters'] as const;
const CONSUMER_NUMERIC = ['Position', 'Lag', 'Failing', 'Dead letters'] as const;

interface ConsumerRow {
  consumer: string;
  producer: string;
  position: number | null;
  lag: number | null;
  owner: string | null;
  leaseUntil: string | null;
  failing: number;
  deadLetters: number;
}

/**
 * A row per consumer and producer it reads: its cursors, and the producers it subscribes to without a
 * cursor (a transport that keeps none) with no position.
 */
export function consumerRows(services: readonly ServiceEvents[]): ConsumerRow[] {
  const heads = new Map(services.map((s) => [s.service, s.status.outbox.head]));
  const rows: ConsumerRow[] = [];
  for (const { service, status } of [...services].sort(byName)) {
    const common = { consumer: service, failing: status.failing, deadLetters: status.deadLetters };
    const cursors = [...status.cursors].sort((a, b) => a.producer.localeCompare(b.producer));
    for (const cursor of cursors) {
      const head = heads.get(cursor.producer);
      rows.push({
        ...common,
        producer: cursor.producer,
        position: cursor.position,
        lag: head === undefined ? null : head - cursor.position,
        owner: cursor.owner,
        leaseUntil: cursor.leaseUntil,
      });
    }
    const read = new Set(cursors.map((c) => c.producer));
    const others = [...new Set(status.subscriptions.map((s) => s.producer))].filter((p) => !read.has(p)).sort();
    for (const producer of others) rows.push({ ...common, producer, position: null, lag: null, owner: null, leaseUntil: null });
  }
  return rows;
}

export function ConsumersTable({ services, emptyText }: { services: readonly ServiceEvents[]; emptyText: string | null }) {
  const rows = consumerRows(services);
  return (
    <ResultTable
      caption="Consumers"
      headers={CONSUMER_HEADERS}
      numeric={CONSUMER_NUMERIC}
      rowCount={rows.length}
      emptyText={emptyText}
    >
      {rows.map((row) => {
        const troubled = row.failing > 0 || row.deadLetters > 0;
        return (
          <tr key={`${row.consumer}\u0000${row.producer}`} className={troubled ? 'has-error' : undefined}>
            <td className="nowrap">{row.consumer}</td>
            <td className="nowrap">{row.producer}</td>
            <td className="num">{row.position ?? '—'}</td>
            <td className={`num${row.lag !== null && row.lag > 0 ? ' warn-text' : ''}`}>{row.lag ?? '—'}</td>
            <td className="nowrap" title={row.leaseUntil ? `Leased until ${formatTime(row.leaseUntil)}` : undefined}>
              {row.owner ?? '—'}
            </td>
            <td className={`num${row.failing > 0 ? ' error-text' : ''}`}>{row.failing}</td>
            <td className={`num${row.deadLetters > 0 ? ' error-text' : ''}`}>{row.deadLetters}</td>
          </tr>
        );
      })}
    </ResultTable>
  );
}

const LETTER_HEADERS = ['Service', 'Id', 'Type', 'Attempts', 'Dead at', 'Error', 'Redriven'] as const;
const LETTER_NUMERIC = ['Attempts'] as const;

export const deadLetterPath = (service: string, id: number) => `/events/dead-letters/${encodeURIComponent(service)}/${id}`;

export function DeadLettersTable({ letters, emptyText }: { letters: readonly DeadLetter[]; emptyText: string | null }) {
  return (
    <ResultTable
      caption="Dead letters"
      headers={LETTER_HEADERS}
      numeric={LETTER_NUMERIC}
      rowCount={letters.length}
      emptyText={emptyText}
    >
      {letters.map((letter) => (
        <tr key={`${letter.service}\u0000${letter.deadLetterId}`} className={letter.redrivenAt ? undefined : 'has-error'}>
          <td className="nowrap">{letter.service}</td>
          <td className="nowrap">
            <Link
              to={deadLetterPath(letter.service, letter.deadLetterId)}
              aria-label={`Dead letter ${letter.deadLetterId} of ${letter.service}`}
            >
              {letter.deadLetterId}
            </Link>
          </td>
          <td className="nowrap">{letter.type}</td>
          <td className="num">{letter.attempts}</td>
          <td className="nowrap">{formatTime(letter.deadAt)}</td>
          <td className="events-error">{letter.error}</td>
          <td className="nowrap">{letter.redrivenAt ? formatTime(letter.redrivenAt) : 'no'}</td>
        </tr>
      ))}
    </ResultTable>
  );
}

/** "Could not ask orders (timeout), payments (503)." — null when every service answered. */
export function EventsUnreachable({ answers }: { answers: readonly (Unreachable | null)[] }) {
  const seen = new Map<string, string>();
  for (const answer of answers)
    for (const { service, error } of answer?.unreachable ?? []) if (!seen.has(service)) seen.set(service, error);
  if (seen.size === 0) return null;
  const list = [...seen].sort(([a], [b]) => a.localeCompare(b)).map(([service, error]) => `${service} (${error})`);
  return <p className="ops-warning">Could not ask {list.join(', ')}: what they would say is missing below.</p>;
}
