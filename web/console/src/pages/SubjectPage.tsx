// One subject of the schema registry: its compatibility, its versions, and what changed between two of
// them (a line diff of the pretty-printed schemas) with the newer one in full. The two versions compared
// live in the URL (?from=&to=); by default the one before the latest, and the latest.

import { useMemo } from 'react';
import { DiffView } from '../components/DiffView.tsx';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { SelectField } from '../components/fields.tsx';
import { plural } from '../format.ts';
import { diffTexts } from '../line-diff.ts';
import { fetchSchemaVersion, fetchSubjects, type SchemaVersion } from '../ops.ts';
import { toSearch } from '../query.ts';
import { Link, navigate } from '../router.tsx';
import { usePolling } from '../use-polling.ts';
import '../styles/ops-b.css';

/** The registry keeps a schema as it was registered: shown pretty-printed when it is JSON, as it is when not. */
function prettySchema(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A version the subject has, from the query; undefined when absent or not one of them. */
function versionOf(params: URLSearchParams, name: string, versions: readonly number[]): number | undefined {
  const value = Number(params.get(name) ?? Number.NaN);
  return versions.includes(value) ? value : undefined;
}

interface Pair {
  from: SchemaVersion;
  to: SchemaVersion;
}

export function SubjectPage({ subject, params }: { subject: string; params: URLSearchParams }) {
  const path = `/schemas/${encodeURIComponent(subject)}`;
  const subjects = usePolling('subjects', (signal) => fetchSubjects(signal), false);
  const summary = subjects.data?.subjects.find((s) => s.subject === subject);
  const versions = useMemo(() => [...(summary?.versions ?? [])].sort((a, b) => a - b), [summary]);
  const latest = versions[versions.length - 1];
  const to = versionOf(params, 'to', versions) ?? latest;
  const from = versionOf(params, 'from', versions) ?? (versions.length > 1 ? versions[versions.length - 2] : latest);

  const pair = usePolling<Pair | null>(
    `${subject}\u0000${from}\u0000${to}`,
    async (signal) => {
      if (from === undefined || to === undefined) return null;
      const [older, newer] = await Promise.all([
        fetchSchemaVersion(subject, from, signal),
        from === to ? null : fetchSchemaVersion(subject, to, signal),
      ]);
      return { from: older, to: newer ?? older };
    },
    false,
  );
  const texts = useMemo(
    () => (pair.data ? { from: prettySchema(pair.data.from.schema), to: prettySchema(pair.data.to.schema) } : null),
    [pair.data],
  );
  const diff = useMemo(() => (texts ? diffTexts(texts.from, texts.to) : []), [texts]);

  const choose = (next: { from?: number; to?: number }) => navigate(`${path}${toSearch({ from, to, ...next })}`);
  const options = versions.map((v) => ({ value: String(v), label: `Version ${v}` }));
  const missing = subjects.data && !summary ? `The registry has no subject ${subject}.` : null;

  return (
    <>
      <h1 tabIndex={-1}>Subject {subject}</h1>
      <p className="ops-back">
        <Link to="/schemas">All subjects</Link>
      </p>
      <ErrorAlert error={subjects.error ?? missing} />
      {subjects.loading && <p role="status">Loading the subject…</p>}
      {summary && (
        <>
          <p>
            Compatibility: <strong>{summary.compatibility}</strong>; {plural(versions.length, 'version', 'versions')}.
          </p>
          <h2>Versions</h2>
          {versions.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul className="schema-versions" aria-label="Versions">
              {versions.map((v, i) => (
                <li key={v}>
                  <Link
                    to={`${path}${toSearch({ from: versions[i - 1] ?? v, to: v })}`}
                    aria-current={v === to ? 'true' : undefined}
                  >
                    Version {v}
                  </Link>
                </li>
              ))}
            </ul>
          )}
          {versions.length > 1 && (
            <div className="controls">
              <SelectField
                label="From version"
                name="from"
                value={String(from)}
                options={options}
                onChange={(event) => choose({ from: Number(event.target.value) })}
              />
              <SelectField
                label="To version"
                name="to"
                value={String(to)}
                options={options}
                onChange={(event) => choose({ to: Number(event.target.value) })}
              />
            </div>
          )}
          <ErrorAlert error={pair.error} />
          {pair.loading && to !== undefined && <p role="status">Loading the schemas…</p>}
          {pair.data && texts && (
            <>
              {from !== to && (
                <section className="ops-section">
                  <h2>
                    From version {pair.data.from.version} to version {pair.data.to.version}
                  </h2>
                  <DiffView diff={diff} label="Schema diff" context={3} />
                </section>
              )}
              <section className="ops-section">
                <h2>Version {pair.data.to.version}</h2>
                <p className="muted">
                  Schema id {pair.data.to.id}
                  {pair.data.to.schemaType ? `, type ${pair.data.to.schemaType}` : ''}.
                </p>
                <div className="code-block" role="region" aria-label="Schema" tabIndex={0}>
                  <pre>{texts.to}</pre>
                </div>
              </section>
            </>
          )}
        </>
      )}
    </>
  );
}
