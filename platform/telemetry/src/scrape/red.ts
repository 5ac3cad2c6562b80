// RED (rate, errors, duration) from the scrapes of one instance: the cumulative counters of the chassis' server
// and client duration histograms and of the gateway's upstream counter, and how much they grew between two scrapes.

import { parseFloatValue, type MetricFamily, type Sample } from './prometheus-text.ts';

export const SERVER_DURATION = 'http_server_request_duration_seconds';
export const CLIENT_DURATION = 'http_client_request_duration_seconds';
export const GATEWAY_UPSTREAM = 'souk_gateway_upstream_requests_total';
/** prom-client's default metric: when it changes, the instance restarted, whatever its counters say. */
export const PROCESS_START = 'process_start_time_seconds';

/** A route of the scraped service, or an edge from the scraped service (the caller) to another. */
export type RedKind = 'route' | 'edge';

/**
 * The metric behind a series. An edge can have two: the gateway proxies through its own counter (no durations)
 * and calls identity and catalog with chassis clients (histogram); they are kept apart so durations stay
 * consistent with the requests they were measured on.
 */
export type RedSource = 'server' | 'client' | 'gateway';

/** One series of one scrape (one status or outcome), its counters cumulative since the instance started. */
export interface RedSeries {
  kind: RedKind;
  source: RedSource;
  service: string;
  /** `METHOD /route` for a route, the callee for an edge. */
  target: string;
  /** Whether every request of the series is an error (by status or outcome). */
  error: boolean;
  count: number;
  /** Seconds; null for a counter. */
  sum: number | null;
  /** Finite upper bounds in seconds, ascending, from the `le` labels; null without buckets. */
  bounds: number[] | null;
  /** Cumulative counts at each bound, then the +Inf bucket (bounds.length + 1 entries). */
  cumulative: number[] | null;
}

export interface RedSnapshot {
  service: string;
  /** process_start_time_seconds, when exposed. */
  startTimeSeconds: number | null;
  /** How many RED series the scrape had (`counters.size`). */
  series: number;
  /** By source and every label but `le`. */
  counters: Map<string, RedSeries>;
}

/** What one route or edge did between two scrapes, its statuses merged. */
export interface RedSample {
  kind: RedKind;
  source: RedSource;
  /** The scraped service: the server of a route, the caller of an edge. */
  service: string;
  /** `METHOD /route` for a route, the callee for an edge. */
  target: string;
  intervalSeconds: number;
  requests: number;
  /** Status >= 500 on a route; a transport failure, a 5xx or an outcome other than `ok` on an edge. */
  errors: number;
  /** Seconds spent on the requests; null when the source has no durations. */
  durationSum: number | null;
  /** Finite upper bounds in seconds; null when the source has no buckets. */
  bounds: number[] | null;
  /** Requests per bucket (not cumulative): one per bound, then those above the last bound. */
  buckets: number[] | null;
}

/** Reads the RED series of one scrape of `scrapedService`. */
export function extractRed(scrapedService: string, families: MetricFamily[]): RedSnapshot {
  const byName = new Map(families.map((family) => [family.name, family]));
  const counters = new Map<string, RedSeries>();
  const server = byName.get(SERVER_DURATION);
  if (server?.type === 'histogram') {
    readHistogram(server, 'server', counters, (labels) => {
      const method = labels.get('http_request_method');
      const route = labels.get('http_route');
      if (method === undefined || route === undefined) return undefined;
      const error = Number(labels.get('http_response_status_code')) >= 500;
      return { kind: 'route', service: scrapedService, target: `${method} ${route}`, error };
    });
  }
  const client = byName.get(CLIENT_DURATION);
  if (client?.type === 'histogram') {
    readHistogram(client, 'client', counters, (labels) => {
      // The metric's own `service` label (the callee) wins over the registry's default one (the caller).
      const callee = labels.get('service');
      if (callee === undefined || callee === '') return undefined;
      const error = isFailedAttempt(labels.get('http_response_status_code') ?? '', labels.get('error_type') ?? '');
      return { kind: 'edge', service: scrapedService, target: callee, error };
    });
  }
  for (const sample of byName.get(GATEWAY_UPSTREAM)?.samples ?? []) {
    const labels = labelMap(sample);
    const callee = labels.get('service');
    if (sample.name !== GATEWAY_UPSTREAM || callee === undefined || callee === '') continue;
    const error = labels.get('outcome') !== 'ok';
    counters.set(seriesKey('gateway', labels), {
      kind: 'edge',
      source: 'gateway',
      service: scrapedService,
      target: callee,
      error,
      count: sample.value,
      sum: null,
      bounds: null,
      cumulative: null,
    });
  }
  const start = byName.get(PROCESS_START)?.samples[0]?.value;
  return { service: scrapedService, startTimeSeconds: start ?? null, series: counters.size, counters };
}

/**
 * A chassis client attempt failed when it got no answer (error_type without a status), a 5xx, or an answer it could
 * not read (a 2xx with error_type). The client sets error_type to the status on every 4xx too; those are the
 * caller's mistakes, not errors of the edge, as the callee's route does not count them either.
 */
function isFailedAttempt(status: string, errorType: string): boolean {
  const code = Number(status);
  if (status !== '' && code >= 400) return code >= 500;
  return errorType !== '';
}

/**
 * The RED samples between two snapshots of the same instance, `intervalSeconds` apart (carried into the samples,
 * for rates). Nothing on the first scrape (no window yet). A series that went down, or every series when the
 * process start time changed, restarted at zero: its increase is its current value. A series new since `previous`
 * counts from zero. Series that did not move are left out.
 */
export function diffRed(previous: RedSnapshot | undefined, current: RedSnapshot, intervalSeconds: number): RedSample[] {
  if (previous === undefined) return [];
  const restarted =
    previous.startTimeSeconds !== null &&
    current.startTimeSeconds !== null &&
    previous.startTimeSeconds !== current.startTimeSeconds;
  const samples = new Map<string, RedSample>();
  for (const [key, now] of current.counters) {
    const before = restarted ? undefined : previous.counters.get(key);
    const base = before !== undefined && !wasReset(before, now) ? before : undefined;
    const requests = now.count - (base?.count ?? 0);
    if (!(requests > 0)) continue;
    const durationSum = now.sum === null ? null : now.sum - (base?.sum ?? 0);
    const buckets = now.cumulative === null ? null : perBucket(now.cumulative.map((n, i) => n - (base?.cumulative?.[i] ?? 0)));
    const delta = { requests, errors: now.error ? requests : 0, durationSum, bounds: now.bounds, buckets };
    const sampleKey = JSON.stringify([now.kind, now.source, now.service, now.target]);
    const sample = samples.get(sampleKey);
    if (sample) merge(sample, delta);
    else
      samples.set(sampleKey, {
        kind: now.kind,
        source: now.source,
        service: now.service,
        target: now.target,
        intervalSeconds,
        ...delta,
      });
  }
  return [...samples.values()];
}

/**
 * The value at quantile `q` (0 to 1) of the requests in `counts` (per bucket, not cumulative; one per bound, then
 * the +Inf bucket), by linear interpolation within the bucket as Prometheus' histogram_quantile does: the first
 * bucket starts at 0, and a rank in the +Inf bucket gives the highest finite bound. Null with no requests, and
 * when `counts` does not have one more entry than `bounds` (rows of histograms that do not match).
 */
export function quantileFromBuckets(bounds: number[], counts: number[], q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be between 0 and 1, got ${q}`);
  if (counts.length !== bounds.length + 1 || bounds.length === 0) return null;
  const total = counts.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const inBucket = counts[i]!;
    // `below + inBucket > 0` skips empty leading buckets, so q = 0 gives where the first request is.
    if (below + inBucket >= rank && below + inBucket > 0) {
      const upper = bounds[i]!;
      if (i === 0 && upper <= 0) return upper;
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      return lower + (upper - lower) * ((rank - below) / inBucket);
    }
    below += inBucket;
  }
  return bounds[bounds.length - 1]!;
}

type Labels = Map<string, string>;
type SeriesIdentity = Pick<RedSeries, 'kind' | 'service' | 'target' | 'error'>;

interface HistogramParts {
  identity: SeriesIdentity;
  buckets: [number, number][];
  sum: number | null;
  count: number | null;
}

function readHistogram(
  family: MetricFamily,
  source: RedSource,
  into: Map<string, RedSeries>,
  identify: (labels: Labels) => SeriesIdentity | undefined,
): void {
  const parts = new Map<string, HistogramParts>();
  for (const sample of family.samples) {
    const labels = labelMap(sample);
    const le = labels.get('le');
    labels.delete('le');
    const key = seriesKey(source, labels);
    let part = parts.get(key);
    if (!part) {
      const identity = identify(labels);
      if (!identity) continue;
      parts.set(key, (part = { identity, buckets: [], sum: null, count: null }));
    }
    if (sample.name === `${family.name}_sum`) part.sum = sample.value;
    else if (sample.name === `${family.name}_count`) part.count = sample.value;
    else if (le !== undefined) part.buckets.push([parseFloatValue(le) ?? NaN, sample.value]);
  }
  for (const [key, { identity, buckets, sum, count }] of parts) {
    buckets.sort(([a], [b]) => a - b);
    const finite = buckets.filter(([le]) => Number.isFinite(le));
    const inf = buckets.find(([le]) => le === Infinity)?.[1];
    const total = count ?? inf ?? finite.at(-1)?.[1] ?? 0;
    const hasBuckets = finite.length > 0;
    into.set(key, {
      ...identity,
      source,
      count: total,
      sum,
      bounds: hasBuckets ? finite.map(([le]) => le) : null,
      cumulative: hasBuckets ? [...finite.map(([, n]) => n), inf ?? total] : null,
    });
  }
}

function labelMap(sample: Sample): Labels {
  return new Map(Object.entries(sample.labels));
}

function seriesKey(source: RedSource, labels: Labels): string {
  return JSON.stringify([source, ...[...labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);
}

/** Prometheus' counter reset: a cumulative value went down (or the buckets changed, which takes a restart). */
function wasReset(before: RedSeries, now: RedSeries): boolean {
  if (now.count < before.count) return true;
  if (!sameBounds(before.bounds, now.bounds)) return true;
  return now.cumulative?.some((n, i) => n < (before.cumulative?.[i] ?? 0)) ?? false;
}

function sameBounds(a: number[] | null, b: number[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((bound, i) => bound === b[i]);
}

function perBucket(cumulative: number[]): number[] {
  return cumulative.map((n, i) => Math.max(0, n - (i === 0 ? 0 : cumulative[i - 1]!)));
}

function merge(sample: RedSample, delta: Pick<RedSample, 'requests' | 'errors' | 'durationSum' | 'bounds' | 'buckets'>): void {
  sample.requests += delta.requests;
  sample.errors += delta.errors;
  sample.durationSum = sample.durationSum === null || delta.durationSum === null ? null : sample.durationSum + delta.durationSum;
  if (sample.buckets !== null && delta.buckets !== null && sameBounds(sample.bounds, delta.bounds)) {
    sample.buckets = sample.buckets.map((n, i) => n + delta.buckets![i]!);
  } else {
    // Series of one histogram share their bounds; if they ever do not, no buckets beat wrong ones.
    sample.bounds = null;
    sample.buckets = null;
  }
}
