// Rate, errors and duration (RED) per route, from the scrapes of every instance's /metrics: for each service
// shown, a chart of requests per second, one of the error ratio and one of p50 and p99, and under them each
// route's totals over the window. The service and the window live in the URL; it refreshes every 5 s.

import { useId, useMemo, useState } from 'react';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { SelectField } from '../components/fields.tsx';
import { LineChart } from '../components/LineChart.tsx';
import { ResultTable } from '../components/ResultTable.tsx';
import { RefreshToggle } from '../components/Toggle.tsx';
import { formatNumber, formatPercent } from '../format.ts';
import { buildCharts, metricsPath, routeTotals, windowOf, WINDOWS, type ServiceCharts } from '../metrics.ts';
import { valueOf } from '../query.ts';
import { navigate } from '../router.tsx';
import { fetchRed, fetchScrapes } from '../telemetry.ts';
import { usePolling } from '../use-polling.ts';

const NO_DATA = 'No requests measured in this window yet; telemetry scrapes every 5 s.';

const WINDOW_OPTIONS = WINDOWS.map((w) => ({ value: String(w.minutes), label: w.label }));
const HEADERS = ['Route', 'Requests', 'Rate/s', 'Errors', 'Error %', 'p99 (max) ms'] as const;
const NUMERIC = ['Requests', 'Rate/s', 'Errors', 'Error %', 'p99 (max) ms'] as const;

const perSecond = (v: number) => `${formatNumber(v, v < 10 ? 2 : 1)}/s`;
/** The chart's values are percentages already. */
const percent = (v: number) => formatPercent(v / 100);
const millis = (v: number) => `${formatNumber(v, v < 10 ? 1 : 0)} ms`;

function ServiceSection({ charts }: { charts: ServiceCharts }) {
  const headingId = useId();
  return (
    <section className="service-charts" aria-labelledby={headingId}>
      <h2 id={headingId}>{charts.service}</h2>
      <div className="charts">
        <LineChart caption="Requests per second" times={charts.times} lines={charts.rate} format={perSecond} />
        <LineChart caption="Error ratio" times={charts.times} lines={charts.errors} format={percent} />
        <LineChart caption="Latency p50 / p99" times={charts.times} lines={charts.latency} format={millis} />
      </div>
    </section>
  );
}

export function MetricsPage({ params }: { params: URLSearchParams }) {
  const service = valueOf(params, 'service');
  const range = windowOf(params.get('minutes'));
  const [refreshing, setRefreshing] = useState(true);

  const key = metricsPath(service, range.minutes);
  const polled = usePolling(
    key,
    async (signal) => {
      const query = { kind: 'route' as const, service, minutes: range.minutes, stepSeconds: range.stepSeconds };
      const [series, scrapes] = await Promise.all([fetchRed(query, signal), fetchScrapes(signal)]);
      return { series, scrapes, at: Date.now() };
    },
    refreshing,
  );
  const { data } = polled;

  const services = useMemo(() => {
    const names = new Set(data?.scrapes.map((s) => s.service));
    if (service !== undefined) names.add(service);
    return [{ value: '', label: 'all' }, ...[...names].sort().map((name) => ({ value: name, label: name }))];
  }, [data, service]);
  const charts = useMemo(() => (data ? buildCharts(data.series, range, data.at) : []), [data, range]);
  const totals = useMemo(() => (data ? routeTotals(data.series, range) : []), [data, range]);
  const headers = service === undefined ? ['Service', ...HEADERS] : HEADERS;

  return (
    <>
      <h1 tabIndex={-1}>Metrics</h1>
      <div className="controls">
        <SelectField
          label="Service"
          name="service"
          value={service ?? ''}
          options={services}
          onChange={(event) => navigate(metricsPath(event.target.value || undefined, range.minutes))}
        />
        <SelectField
          label="Window"
          name="minutes"
          value={String(range.minutes)}
          options={WINDOW_OPTIONS}
          onChange={(event) => navigate(metricsPath(service, Number(event.target.value)))}
        />
        <RefreshToggle on={refreshing} onToggle={() => setRefreshing((on) => !on)} updatedAt={polled.updatedAt} />
      </div>
      <ErrorAlert error={polled.error} />
      {polled.loading && <p role="status">Loading the metrics…</p>}
      {data && charts.length === 0 && <p className="empty-note">{NO_DATA}</p>}
      {charts.map((c) => (
        <ServiceSection key={c.service} charts={c} />
      ))}
      {totals.length > 0 && (
        <ResultTable caption="Routes" headers={headers} numeric={NUMERIC} rowCount={totals.length} emptyText={null}>
          {totals.map((t) => (
            <tr key={`${t.service} ${t.target}`} className={t.errors > 0 ? 'has-error' : undefined}>
              {service === undefined && <td className="nowrap">{t.service}</td>}
              <td className="mono">{t.target}</td>
              <td className="num">{formatNumber(t.requests, 0)}</td>
              <td className="num">{formatNumber(t.ratePerSecond, 3)}</td>
              <td className={`num${t.errors > 0 ? ' error-text' : ''}`}>{formatNumber(t.errors, 0)}</td>
              <td className={`num${t.errors > 0 ? ' error-text' : ''}`}>{formatPercent(t.errorRatio)}</td>
              <td className="num">{t.p99MaxMs === null ? '—' : formatNumber(t.p99MaxMs, 1)}</td>
            </tr>
          ))}
        </ResultTable>
      )}
    </>
  );
}
