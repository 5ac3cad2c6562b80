// Trace search: the newest traces, narrowed by service, route, duration and errors; a trace id opens
// that trace directly. The filters live in the URL, so Back and a shared link give the same list.

import { useState } from 'react';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { CheckboxField, TextField } from '../components/fields.tsx';
import { Pager, ResultTable } from '../components/ResultTable.tsx';
import { SearchForm } from '../components/SearchForm.tsx';
import { formatDuration, formatTime } from '../format.ts';
import { BAD_TRACE_ID, toSearch, TRACE_ID, valueOf } from '../query.ts';
import { Link, navigate } from '../router.tsx';
import { searchTraces, type TraceFilter } from '../telemetry.ts';
import { usePaged } from '../use-paged.ts';

const HEADERS = ['Start', 'Root', 'Services', 'Spans', 'Errors', 'Duration'] as const;
const NUMERIC = ['Spans', 'Errors', 'Duration'] as const;

function filterOf(source: URLSearchParams | FormData): TraceFilter {
  const min = Number(valueOf(source, 'minDurationMs'));
  return {
    service: valueOf(source, 'service'),
    route: valueOf(source, 'route'),
    minDurationMs: Number.isFinite(min) && min > 0 ? min : undefined,
    error: valueOf(source, 'error') === 'true' || undefined,
  };
}

export function TracesPage({ params }: { params: URLSearchParams }) {
  const filter = filterOf(params);
  const search = toSearch({ ...filter });
  const traces = usePaged(search, (before, signal) => searchTraces(filter, before, signal));
  const [formError, setFormError] = useState<string | null>(null);

  const onSearch = (form: FormData) => {
    setFormError(null);
    const traceId = valueOf(form, 'traceId')?.toLowerCase();
    if (traceId !== undefined) {
      if (TRACE_ID.test(traceId)) navigate(`/traces/${traceId}`);
      else setFormError(BAD_TRACE_ID);
      return;
    }
    const next = toSearch({ ...filterOf(form) });
    if (next === search) traces.reload();
    else navigate(`/traces${next}`);
  };

  return (
    <>
      <h1 tabIndex={-1}>Traces</h1>
      <SearchForm key={search} label="Search traces" onSearch={onSearch}>
        <TextField label="Service" name="service" defaultValue={filter.service} placeholder="orders" />
        <TextField label="Route" name="route" defaultValue={filter.route} placeholder="/api/v1/orders" />
        <TextField
          label="Min duration (ms)"
          name="minDurationMs"
          type="number"
          min={0}
          step="any"
          inputMode="decimal"
          defaultValue={filter.minDurationMs}
          className="field-narrow"
        />
        <CheckboxField label="Errors only" name="error" value="true" defaultChecked={filter.error === true} />
        <TextField label="Trace ID" name="traceId" autoComplete="off" spellCheck={false} className="field-wide" />
      </SearchForm>
      <ErrorAlert error={formError ?? traces.error} />
      <ResultTable
        caption="Traces"
        headers={HEADERS}
        numeric={NUMERIC}
        rowCount={traces.items.length}
        emptyText={traces.loading || traces.error ? null : 'No trace matches these filters.'}
      >
        {traces.items.map((t) => (
          <tr key={t.traceId} className={t.errorCount > 0 ? 'has-error' : undefined}>
            <td className="nowrap">{formatTime(t.startTime)}</td>
            <td>
              {t.rootService && <span className="muted">{t.rootService} </span>}
              <Link to={`/traces/${t.traceId}`} className={t.rootName ? undefined : 'mono'}>
                {t.rootName ?? t.traceId}
              </Link>
            </td>
            <td>{t.services.join(', ')}</td>
            <td className="num">{t.spanCount}</td>
            <td className={`num${t.errorCount > 0 ? ' error-text' : ''}`}>{t.errorCount}</td>
            <td className="num nowrap">{formatDuration(t.durationMs)}</td>
          </tr>
        ))}
      </ResultTable>
      <Pager
        loading={traces.loading}
        count={traces.items.length}
        noun={['trace', 'traces']}
        hasOlder={traces.next !== null}
        onOlder={traces.older}
      />
    </>
  );
}
