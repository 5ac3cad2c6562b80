// The RED series of the metrics page shaped for charts and for the routes table: one time line per window
// (every step, not only those with requests), a line per route, and each route's totals over the window.

import { toSearch } from './query.ts';
import type { RedPoint, RedSeries } from './telemetry.ts';

export interface MetricsWindow {
  minutes: number;
  stepSeconds: number;
  label: string;
}

/** About 60 to 100 steps in each. */
export const WINDOWS: readonly MetricsWindow[] = [
  { minutes: 15, stepSeconds: 15, label: '15 min' },
  { minutes: 60, stepSeconds: 60, label: '1 h' },
  { minutes: 360, stepSeconds: 300, label: '6 h' },
  { minutes: 1440, stepSeconds: 900, label: '24 h' },
];

export function windowOf(minutes: string | null | undefined): MetricsWindow {
  return WINDOWS.find((w) => String(w.minutes) === minutes) ?? WINDOWS[0]!;
}

/** The metrics page of a service (undefined: all of them) over a window. */
export const metricsPath = (service: string | undefined, minutes = WINDOWS[0]!.minutes) =>
  `/metrics${toSearch({ service, minutes })}`;

/** How often telemetry reads every instance's counters (TELEMETRY_SCRAPE_INTERVAL_MS's default). */
export const SCRAPE_SECONDS = 5;

/** Dark enough for 3:1 against white (WCAG's contrast for graphics); red is left for errors. */
const PALETTE = ['#0b55c4', '#c2410c', '#15803d', '#7e22ce', '#0e7490', '#a16207', '#be185d', '#4d7c0f', '#475569', '#3730a3'];

export const colorOf = (index: number) => PALETTE[index % PALETTE.length]!;

export interface ChartLine {
  label: string;
  /** One per time; null where there is no value (no request in that step). */
  values: (number | null)[];
  color: string;
  dashed: boolean;
}

export interface ServiceCharts {
  service: string;
  /** Each step's start, in seconds (uPlot's time unit). */
  times: number[];
  rate: ChartLine[];
  /** Percent. */
  errors: ChartLine[];
  latency: ChartLine[];
}

/**
 * The steps from the first whole one in the window to the current one. The first, cut by the window's start,
 * is left out of the charts (it would read as a dip); the current one's rate is over the time it has run.
 */
function timeLine(window: MetricsWindow, nowMs: number, series: readonly RedSeries[]): number[] {
  const step = window.stepSeconds * 1000;
  const first = Math.ceil((nowMs - window.minutes * 60_000) / step) * step;
  let last = Math.floor(nowMs / step) * step;
  // The server's clock may be ahead of this one.
  for (const s of series) for (const p of s.points) last = Math.max(last, Date.parse(p.time));
  const times: number[] = [];
  for (let t = first; t <= last; t += step) times.push(t / 1000);
  return times;
}

export function buildCharts(series: readonly RedSeries[], window: MetricsWindow, nowMs: number): ServiceCharts[] {
  const times = timeLine(window, nowMs, series);
  const at = new Map(times.map((t, i) => [t, i]));
  const byService = new Map<string, RedSeries[]>();
  for (const s of series) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);

  return [...byService.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, routes]) => {
      const charts: ServiceCharts = { service, times, rate: [], errors: [], latency: [] };
      [...routes]
        .sort((a, b) => a.target.localeCompare(b.target))
        .forEach((route, index) => {
          const points: (RedPoint | undefined)[] = times.map(() => undefined);
          for (const p of route.points) {
            const i = at.get(Date.parse(p.time) / 1000);
            if (i !== undefined) points[i] = p;
          }
          const color = colorOf(index);
          const line = (label: string, value: (p: RedPoint, start: number) => number | null, dashed = false) => ({
            label,
            values: points.map((p, i) => (p ? value(p, times[i]!) : null)),
            color,
            dashed,
          });
          // A step without requests is 0 requests per second (the scraper stores only increases).
          const rate = line(route.target, (p, start) => {
            const ranSeconds = Math.min(window.stepSeconds, Math.max(SCRAPE_SECONDS, nowMs / 1000 - start));
            return p.requests / ranSeconds;
          });
          charts.rate.push({ ...rate, values: rate.values.map((v) => v ?? 0) });
          charts.errors.push(line(route.target, (p) => (p.requests === 0 ? null : (p.errors / p.requests) * 100)));
          charts.latency.push(line(`${route.target} p99`, (p) => p.p99Ms));
          charts.latency.push(line(`${route.target} p50`, (p) => p.p50Ms, true));
        });
      return charts;
    });
}

export interface RouteTotals {
  service: string;
  target: string;
  requests: number;
  ratePerSecond: number;
  errors: number;
  errorRatio: number;
  /** The highest p99 of its steps; null when none was timed. */
  p99MaxMs: number | null;
}

/** Each route over the whole window: by service, the busiest first. */
export function routeTotals(series: readonly RedSeries[], window: MetricsWindow): RouteTotals[] {
  return series
    .map((s) => {
      const requests = s.points.reduce((sum, p) => sum + p.requests, 0);
      const errors = s.points.reduce((sum, p) => sum + p.errors, 0);
      const p99s = s.points.flatMap((p) => (p.p99Ms === null ? [] : [p.p99Ms]));
      return {
        service: s.service,
        target: s.target,
        requests,
        ratePerSecond: requests / (window.minutes * 60),
        errors,
        errorRatio: requests === 0 ? 0 : errors / requests,
        p99MaxMs: p99s.length === 0 ? null : Math.max(...p99s),
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service) || b.requests - a.requests || a.target.localeCompare(b.target));
}
