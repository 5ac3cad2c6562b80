// One trace: its spans as a waterfall and the selected span's details. The selected span is in the URL
// (?span=), so a link can point at one span.

import { useEffect, useMemo, useState } from 'react';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { SpanDetails } from '../components/SpanDetails.tsx';
import { Waterfall } from '../components/Waterfall.tsx';
import { formatDuration, formatTime, plural } from '../format.ts';
import { asError } from '../problem.ts';
import { BAD_TRACE_ID, toSearch, TRACE_ID } from '../query.ts';
import { navigate } from '../router.tsx';
import { buildWaterfall } from '../span-tree.ts';
import { fetchTrace, isError, type Span } from '../telemetry.ts';

interface Props {
  traceId: string;
  selected: string | null;
}

export function TracePage({ traceId, selected }: Props) {
  const valid = TRACE_ID.test(traceId);
  const [spans, setSpans] = useState<Span[] | null>(null);
  const [error, setError] = useState<Error | null>(null);

  useEffect(() => {
    if (!valid) return;
    const controller = new AbortController();
    fetchTrace(traceId, controller.signal).then(setSpans, (err: unknown) => {
      if (!controller.signal.aborted) setError(asError(err));
    });
    return () => controller.abort();
  }, [traceId, valid]);

  const waterfall = useMemo(() => buildWaterfall(spans ?? []), [spans]);
  const selectedRow = waterfall.rows.find((r) => r.span.spanId === selected) ?? waterfall.rows[0];
  const select = (spanId: string) => navigate(`/traces/${traceId}${toSearch({ span: spanId })}`, { replace: true });
  const kept = useMemo(() => new Set((spans ?? []).map((s) => s.spanId)), [spans]);
  const errors = (spans ?? []).filter(isError).length;

  return (
    <>
      <h1 tabIndex={-1} className="trace-heading">
        Trace <code>{traceId}</code>
      </h1>
      <ErrorAlert error={valid ? error : BAD_TRACE_ID} />
      {valid && !spans && !error && <p role="status">Loading the trace…</p>}
      {spans && selectedRow && (
        <>
          <p className="summary">
            {plural(spans.length, 'span', 'spans')} in {plural(waterfall.services.length, 'service', 'services')}
            {errors > 0 && <span className="error-text">, {plural(errors, 'error', 'errors')}</span>}; started{' '}
            {formatTime(waterfall.startUs / 1000)}, took {formatDuration(waterfall.durationUs / 1000)}.
          </p>
          <div className="trace-layout">
            <div className="waterfall-box">
              <div className="waterfall-scale" aria-hidden="true">
                <span>0 ms</span>
                <span>{formatDuration(waterfall.durationUs / 2000)}</span>
                <span>{formatDuration(waterfall.durationUs / 1000)}</span>
              </div>
              <Waterfall rows={waterfall.rows} selectedId={selectedRow.span.spanId} onSelect={select} />
            </div>
            <SpanDetails
              span={selectedRow.span}
              traceStartUs={waterfall.startUs}
              parentKept={selectedRow.span.parentSpanId !== null && kept.has(selectedRow.span.parentSpanId)}
            />
          </div>
        </>
      )}
    </>
  );
}
