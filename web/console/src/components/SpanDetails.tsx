// Everything about the selected span: ids, times, status, attributes, events (exceptions among them) and
// links, with the way to its logs.

import { useId } from 'react';
import { formatDuration, formatTime } from '../format.ts';
import { toSearch } from '../query.ts';
import { Link, navigate } from '../router.tsx';
import { isError, kindName, type Span } from '../telemetry.ts';
import { KeyValues } from './KeyValues.tsx';

interface Props {
  span: Span;
  /** The trace's first start, to give offsets. */
  traceStartUs: number;
  /** Whether the span's parent is in this trace. */
  parentKept: boolean;
}

const offset = (us: number, fromUs: number) => `+${formatDuration((us - fromUs) / 1000)}`;

function Status({ span }: { span: Span }) {
  if (isError(span)) return <span className="error-text">error{span.statusMessage ? `: ${span.statusMessage}` : ''}</span>;
  return <>{span.statusCode === 1 ? 'ok' : 'unset'}</>;
}

export function SpanDetails({ span, traceStartUs, parentKept }: Props) {
  const headingId = useId();
  const endUs = span.startUs + span.durationUs;
  return (
    <section className="span-details" aria-labelledby={headingId}>
      <h2 id={headingId}>Span details</h2>
      <p className="span-title">
        <strong>{span.service}</strong> {span.name}
      </p>
      <div className="actions">
        {/* Log lines carry the request's trace id: the trace's lines, with this span's marked. */}
        <button type="button" onClick={() => navigate(`/logs${toSearch({ traceId: span.traceId, span: span.spanId })}`)}>
          Logs of this span
        </button>
        <Link to={`/logs${toSearch({ traceId: span.traceId })}`}>All logs of this trace</Link>
      </div>
      <dl className="kv">
        <div>
          <dt>Kind</dt>
          <dd>{kindName(span.kind)}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            <Status span={span} />
          </dd>
        </div>
        <div>
          <dt>Start</dt>
          <dd>
            {formatTime(span.startUs / 1000)} ({offset(span.startUs, traceStartUs)})
          </dd>
        </div>
        <div>
          <dt>End</dt>
          <dd>
            {formatTime(endUs / 1000)} ({offset(endUs, traceStartUs)})
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(span.durationMs)}</dd>
        </div>
        <div>
          <dt>Instance</dt>
          <dd>{span.instance ?? '—'}</dd>
        </div>
        <div>
          <dt>Span ID</dt>
          <dd className="mono">{span.spanId}</dd>
        </div>
        <div>
          <dt>Parent span ID</dt>
          <dd className="mono">
            {span.parentSpanId === null ? 'none (the root)' : span.parentSpanId}
            {span.parentSpanId !== null && !parentKept && (
              <span className="muted"> (not in this trace: continued from outside)</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Trace ID</dt>
          <dd className="mono">{span.traceId}</dd>
        </div>
        {span.scope && (
          <div>
            <dt>Instrumentation</dt>
            <dd>{span.scope}</dd>
          </div>
        )}
      </dl>

      <h3>Attributes</h3>
      <KeyValues values={span.attributes} />

      <h3>Events</h3>
      {span.events.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ol className="plain-list">
          {span.events.map((event, i) => (
            <li key={i}>
              <p>
                <strong className={event.name === 'exception' ? 'error-text' : undefined}>{event.name}</strong>{' '}
                <span className="muted">
                  at {formatTime(event.timeUs / 1000)} ({offset(event.timeUs, traceStartUs)})
                </span>
              </p>
              <KeyValues values={event.attributes} />
            </li>
          ))}
        </ol>
      )}

      <h3>Links</h3>
      {span.links.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="plain-list">
          {span.links.map((link) => (
            <li key={`${link.traceId}/${link.spanId}`}>
              <p>
                <Link className="mono" to={`/traces/${link.traceId}${toSearch({ span: link.spanId })}`}>
                  {link.traceId}
                </Link>{' '}
                <span className="muted">span</span> <span className="mono">{link.spanId}</span>
              </p>
              <KeyValues values={link.attributes} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
