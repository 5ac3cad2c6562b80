// The config server's services: every service that published a settings schema or has settings, the
// version of its settings in effect, and the environments with a document of their own. A service opens
// to its settings, their history and the editor.

import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { ResultTable } from '../components/ResultTable.tsx';
import { fetchConfigServices } from '../config-api.ts';
import { Link } from '../router.tsx';
import { usePolling } from '../use-polling.ts';
import '../styles/ops-b.css';

const HEADERS = ['Service', 'Version', 'Environments'] as const;
const NUMERIC = ['Version'] as const;

export function ConfigPage() {
  const services = usePolling('config-services', (signal) => fetchConfigServices(signal), false);
  const rows = [...(services.data?.services ?? [])].sort((a, b) => a.service.localeCompare(b.service));
  return (
    <>
      <h1 tabIndex={-1}>Config</h1>
      <ErrorAlert error={services.error} />
      {services.loading && <p role="status">Loading the services…</p>}
      <ResultTable
        caption="Services"
        headers={HEADERS}
        numeric={NUMERIC}
        rowCount={rows.length}
        emptyText={services.data ? 'No service has published a settings schema yet: each does at its start.' : null}
      >
        {rows.map((s) => (
          <tr key={s.service}>
            <td>
              <Link to={`/config/${encodeURIComponent(s.service)}`}>{s.service}</Link>
            </td>
            <td className="num">{s.version === 0 ? <span className="muted">0 (nothing set)</span> : s.version}</td>
            <td>{s.environments.length === 0 ? '—' : [...s.environments].sort().join(', ')}</td>
          </tr>
        ))}
      </ResultTable>
    </>
  );
}
