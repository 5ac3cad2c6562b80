// Log lines of every process, newest first, by text, service, level and trace; "Live tail" streams new
// ones in on top. The filters live in the URL (`span` marks one span's lines without filtering by it).

import { useState } from 'react';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { CheckboxField, SelectField, TextField } from '../components/fields.tsx';
import { LogTable } from '../components/LogTable.tsx';
import { Pager } from '../components/ResultTable.tsx';
import { SearchForm } from '../components/SearchForm.tsx';
import { Toggle } from '../components/Toggle.tsx';
import { plural } from '../format.ts';
import { BAD_TRACE_ID, toSearch, TRACE_ID, valueOf } from '../query.ts';
import { navigate } from '../router.tsx';
import { LEVELS, searchLogs, type LevelName, type LogFilter, type LogLine } from '../telemetry.ts';
import { useLogTail } from '../use-log-tail.ts';
import { usePaged } from '../use-paged.ts';

/** Lines kept on screen while tailing. */
const MAX_LINES = 500;
const LEVEL_OPTIONS = [{ value: '', label: 'any' }, ...LEVELS.map((l) => ({ value: l, label: l }))];
const HEX16 = /^[0-9a-f]{16}$/;

const isLevel = (value: string | undefined): value is LevelName => LEVELS.some((l) => l === value);

function filterOf(params: URLSearchParams): LogFilter {
  const level = valueOf(params, 'level');
  return {
    q: valueOf(params, 'q'),
    service: valueOf(params, 'service'),
    level: isLevel(level) ? level : undefined,
    traceId: valueOf(params, 'traceId')?.toLowerCase(),
    spanId: valueOf(params, 'spanId')?.toLowerCase(),
  };
}

export function LogsPage({ params }: { params: URLSearchParams }) {
  const filter = filterOf(params);
  const hint = valueOf(params, 'span')?.toLowerCase();
  const search = toSearch({ ...filter });
  const logs = usePaged(search, (before, signal) => searchLogs(filter, before, signal));
  const [openKey, setOpenKey] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [tailing, setTailing] = useState(false);
  const [tailError, setTailError] = useState<Error | null>(null);
  const [tailEnded, setTailEnded] = useState(false);

  const { spanId, ...tailFilter } = filter;
  const missed = useLogTail(tailing, search, tailFilter, {
    onLines: (lines: LogLine[]) => {
      // The tail cannot filter by span: that filter is applied here.
      const wanted = spanId === undefined ? lines : lines.filter((l) => l.spanId === spanId);
      logs.prepend([...wanted].reverse(), MAX_LINES);
    },
    onEnd: (error) => {
      setTailing(false);
      setTailError(error);
      setTailEnded(error === null);
    },
  });

  const toggleTail = () => {
    setTailError(null);
    setTailEnded(false);
    setTailing((on) => !on);
  };

  const onSearch = (form: FormData) => {
    setFormError(null);
    const traceId = valueOf(form, 'traceId')?.toLowerCase();
    if (traceId !== undefined && !TRACE_ID.test(traceId)) {
      setFormError(BAD_TRACE_ID);
      return;
    }
    const level = valueOf(form, 'level');
    // The marked span belongs to the trace: it goes when the trace filter changes.
    const span = hint !== undefined && HEX16.test(hint) && traceId === filter.traceId ? hint : undefined;
    const next = {
      q: valueOf(form, 'q'),
      service: valueOf(form, 'service'),
      level: isLevel(level) ? level : undefined,
      traceId,
      spanId: span !== undefined && valueOf(form, 'onlySpan') === 'true' ? span : undefined,
    };
    if (toSearch(next) === search && span === hint) logs.reload();
    else navigate(`/logs${toSearch({ ...next, span })}`);
  };

  const toggleLine = (key: string) => setOpenKey((open) => (open === key ? null : key));

  return (
    <>
      <h1 tabIndex={-1}>Logs</h1>
      <SearchForm
        key={`${search}|${hint ?? ''}`}
        label="Search logs"
        onSearch={onSearch}
        extra={
          <Toggle pressed={tailing} onToggle={toggleTail}>
            Live tail
          </Toggle>
        }
      >
        <TextField label="Text" name="q" defaultValue={filter.q} />
        <TextField label="Service" name="service" defaultValue={filter.service} />
        <SelectField label="Level" name="level" defaultValue={filter.level ?? ''} options={LEVEL_OPTIONS} />
        <TextField
          label="Trace ID"
          name="traceId"
          defaultValue={filter.traceId}
          autoComplete="off"
          spellCheck={false}
          className="field-wide"
        />
        {hint !== undefined && HEX16.test(hint) && (
          <CheckboxField label={`Only span ${hint}`} name="onlySpan" value="true" defaultChecked={filter.spanId === hint} />
        )}
      </SearchForm>
      <ErrorAlert error={formError ?? tailError ?? logs.error} />
      <div className="tail-status" role="status">
        {tailing && <span>Live: new lines appear at the top.</span>}
        {missed > 0 && <span className="warn-text">{plural(missed, 'line', 'lines')} missed</span>}
        {tailEnded && <span>The live tail ended; turn it on again to go on.</span>}
      </div>
      <LogTable
        lines={logs.items}
        emptyText={logs.loading || logs.error ? null : tailing ? 'Waiting for new lines…' : 'No line matches these filters.'}
        openKey={openKey}
        onToggle={toggleLine}
        markedSpan={hint}
      />
      <Pager
        loading={logs.loading}
        count={logs.items.length}
        noun={['line', 'lines']}
        hasOlder={!tailing && logs.next !== null}
        onOlder={logs.older}
      />
    </>
  );
}
