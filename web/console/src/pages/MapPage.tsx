// The service map: every service scraped or seen in a call, healthy or not by its last scrapes, and who
// calls whom over the last minutes (from the metrics and the traces), failing calls first. The diagram has
// the same as the Calls table and the Services list, which are what a keyboard and a screen reader use.
// The window lives in the URL; it refreshes every 5 s.

import { useId, useMemo, useState } from 'react';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { SelectField } from '../components/fields.tsx';
import { ResultTable } from '../components/ResultTable.tsx';
import { ServiceMap } from '../components/ServiceMap.tsx';
import { RefreshToggle } from '../components/Toggle.tsx';
import { formatNumber, formatPercent, plural } from '../format.ts';
import { metricsPath } from '../metrics.ts';
import { toSearch } from '../query.ts';
import { Link, navigate } from '../router.tsx';
import { healthText, isFailing, layoutMap, serviceStates, sortEdges } from '../service-map.ts';
import { fetchMap, fetchScrapes, type MapEdge } from '../telemetry.ts';
import { usePolling } from '../use-polling.ts';

const DEFAULT_MINUTES = 5;
const WINDOWS = [
  { value: '1', label: '1 min' },
  { value: '5', label: '5 min' },
  { value: '15', label: '15 min' },
  { value: '60', label: '1 h' },
];
const HEADERS = ['Caller', 'Callee', 'Via', 'Requests', 'Errors', 'Error %', 'p99 ms', 'Status', 'Investigate'] as const;
const NUMERIC = ['Requests', 'Errors', 'Error %', 'p99 ms'] as const;
const NO_DATA = 'No service scraped and no call measured in this window yet; telemetry scrapes every 5 s.';

/** Any whole number of minutes the API takes (a day at most); 5 otherwise. */
function minutesOf(params: URLSearchParams): number {
  const minutes = Number(params.get('minutes'));
  return Number.isInteger(minutes) && minutes >= 1 && minutes <= 24 * 60 ? minutes : DEFAULT_MINUTES;
}

const errorsPath = (edge: MapEdge) => `/traces${toSearch({ service: edge.callee, error: true })}`;

export function MapPage({ params }: { params: URLSearchParams }) {
  const minutes = minutesOf(params);
  const [refreshing, setRefreshing] = useState(true);
  const servicesId = useId();

  const polled = usePolling(
    `/map?minutes=${minutes}`,
    async (signal) => {
      const [edges, scrapes] = await Promise.all([fetchMap(minutes, signal), fetchScrapes(signal)]);
      return { edges, scrapes };
    },
    refreshing,
  );
  const { data } = polled;
  const model = useMemo(() => {
    if (!data) return null;
    const states = serviceStates(data.scrapes, data.edges);
    return { states, layout: layoutMap(states, data.edges, minutes), calls: sortEdges(data.edges) };
  }, [data, minutes]);

  const windows = WINDOWS.some((w) => w.value === String(minutes))
    ? WINDOWS
    : [...WINDOWS, { value: String(minutes), label: `${minutes} min` }].sort((a, b) => Number(a.value) - Number(b.value));

  return (
    <>
      <h1 tabIndex={-1}>Service map</h1>
      <div className="controls">
        <SelectField
          label="Window"
          name="minutes"
          value={String(minutes)}
          options={windows}
          onChange={(event) => navigate(`/map${toSearch({ minutes: event.target.value })}`)}
        />
        <RefreshToggle on={refreshing} onToggle={() => setRefreshing((on) => !on)} updatedAt={polled.updatedAt} />
      </div>
      <ErrorAlert error={polled.error} />
      {polled.loading && <p role="status">Loading the map…</p>}
      {model && model.states.length === 0 && <p className="empty-note">{NO_DATA}</p>}
      {model && model.states.length > 0 && (
        <>
          <ServiceMap
            layout={model.layout}
            onService={(name) => navigate(metricsPath(name))}
            onFailingCall={(edge) => navigate(errorsPath(edge))}
          />
          <ul className="map-key" aria-label="Map key">
            <li>
              <span className="key-node healthy" aria-hidden="true" /> healthy
            </li>
            <li>
              <span className="key-node unhealthy" aria-hidden="true" /> unhealthy
            </li>
            <li>
              <span className="key-node unknown" aria-hidden="true" /> not scraped
            </li>
            <li>
              <span className="key-line" aria-hidden="true" /> HTTP call
            </li>
            <li>
              <span className="key-line event" aria-hidden="true" /> event
            </li>
            <li>
              <span className="key-line failing" aria-hidden="true" /> failing (over 1% errors, or any)
            </li>
          </ul>
          <p className="muted hint">
            Rates are requests per minute over the last {plural(minutes, 'minute', 'minutes')}. Click a service for its metrics, a
            red call for its failed requests; the list and the table below hold the same.
          </p>
          <div className="map-details">
            <ResultTable
              caption="Calls"
              headers={HEADERS}
              numeric={NUMERIC}
              rowCount={model.calls.length}
              emptyText="No call measured or traced in this window."
            >
              {model.calls.map((edge) => {
                const failing = isFailing(edge);
                return (
                  <tr key={`${edge.caller}\u0000${edge.callee}`} className={failing ? 'has-error' : undefined}>
                    <td className="nowrap">{edge.caller}</td>
                    <td className="nowrap">{edge.callee}</td>
                    <td className="nowrap">{edge.via.join(' + ')}</td>
                    <td className="num">{formatNumber(edge.requests, 0)}</td>
                    <td className={`num${edge.errors > 0 ? ' error-text' : ''}`}>{formatNumber(edge.errors, 0)}</td>
                    <td className={`num${failing ? ' error-text' : ''}`}>{formatPercent(edge.errorRatio)}</td>
                    <td className="num">{edge.p99Ms === null ? '—' : formatNumber(edge.p99Ms, 1)}</td>
                    <td className={failing ? 'error-text status' : 'status'}>{failing ? 'failing' : 'ok'}</td>
                    <td className="nowrap">
                      {failing && (
                        <Link to={errorsPath(edge)} aria-label={`Show errors of ${edge.callee}`}>
                          Show errors
                        </Link>
                      )}
                    </td>
                  </tr>
                );
              })}
            </ResultTable>
            <section className="service-health" aria-labelledby={servicesId}>
              <h2 id={servicesId}>Services</h2>
              <ul aria-labelledby={servicesId}>
                {model.states.map((s) => (
                  <li key={s.name}>
                    <Link to={metricsPath(s.name)}>{s.name}</Link> <span className={`health ${s.health}`}>{healthText(s)}</span>
                    {s.health !== 'unknown' && <span className="muted"> · {plural(s.instances, 'instance', 'instances')}</span>}
                  </li>
                ))}
              </ul>
            </section>
          </div>
        </>
      )}
    </>
  );
}
