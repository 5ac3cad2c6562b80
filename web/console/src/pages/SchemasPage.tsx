// The schema registry's subjects: each event type's schema, how many versions it has, the latest, and
// the compatibility a new version is checked against. A subject opens to its versions and their diff.

import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { ResultTable } from '../components/ResultTable.tsx';
import { fetchSubjects } from '../ops.ts';
import { Link } from '../router.tsx';
import { usePolling } from '../use-polling.ts';
import '../styles/ops-b.css';

const HEADERS = ['Subject', 'Versions', 'Latest', 'Compatibility'] as const;
const NUMERIC = ['Versions', 'Latest'] as const;

const subjectPath = (subject: string) => `/schemas/${encodeURIComponent(subject)}`;

export function SchemasPage() {
  // Loaded once: subjects change when a service registers a new schema, at its start.
  const subjects = usePolling('subjects', (signal) => fetchSubjects(signal), false);
  const rows = [...(subjects.data?.subjects ?? [])].sort((a, b) => a.subject.localeCompare(b.subject));
  return (
    <>
      <h1 tabIndex={-1}>Schemas</h1>
      <ErrorAlert error={subjects.error} />
      {subjects.loading && <p role="status">Loading the subjects…</p>}
      <ResultTable
        caption="Subjects"
        headers={HEADERS}
        numeric={NUMERIC}
        rowCount={rows.length}
        emptyText={subjects.data ? 'The registry has no subject yet: services register their schemas at start.' : null}
      >
        {rows.map((s) => (
          <tr key={s.subject}>
            <td>
              <Link to={subjectPath(s.subject)}>{s.subject}</Link>
            </td>
            <td className="num">{s.versions.length}</td>
            <td className="num">{s.versions.length === 0 ? '—' : Math.max(...s.versions)}</td>
            <td className="nowrap">{s.compatibility}</td>
          </tr>
        ))}
      </ResultTable>
    </>
  );
}
