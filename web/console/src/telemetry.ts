// The telemetry API's queries (platform/telemetry/src/routes.ts), typed as the console reads them.

import { apiFetch, getJson } from './api.ts';
import { readSse } from './sse.ts';

const BASE = '/api/v1/telemetry';
const TRACES_PAGE = 50;
const LOGS_PAGE = 100;

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface TraceSummary {
  traceId: string;
  startTime: string;
  durationMs: number;
  rootService: string | null;
  rootName: string | null;
  services: string[];
  routes: string[];
  spanCount: number;
  errorCount: number;
}

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  instance: string | null;
  name: string;
  /** OTLP's SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startUs: number;
  durationUs: number;
  startTime: string;
  durationMs: number;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string | null;
  attributes: Attributes;
  events: { name: string; timeUs: number; attributes: Attributes }[];
  links: { traceId: string; spanId: string; attributes: Attributes }[];
  scope: string | null;
}

export interface LogLine {
  /** A key for lists: the stored id, or one made here for a tailed line (which has none). */
  key: string;
  time: string;
  service: string;
  instance: string;
  /** pino's numbers: 10 trace … 60 fatal. */
  level: number;
  msg: string;
  traceId: string | null;
  spanId: string | null;
  line: string;
}

export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LevelName = (typeof LEVELS)[number];

export function levelName(level: number): string {
  return LEVELS[Math.round(level / 10) - 1] ?? String(level);
}

const KINDS = ['internal', 'internal', 'server', 'client', 'producer', 'consumer'];

/** OTLP says an unspecified kind may be read as internal. */
export function kindName(kind: number): string {
  return KINDS[kind] ?? 'internal';
}

export const isError = (span: Pick<Span, 'statusCode'>) => span.statusCode === 2;

export interface TraceFilter {
  service?: string | undefined;
  route?: string | undefined;
  minDurationMs?: number | undefined;
  error?: boolean | undefined;
}

export async function searchTraces(filter: TraceFilter, before: string | undefined, signal: AbortSignal) {
  const answer = await getJson<{ traces: TraceSummary[]; next: string | null }>(`${BASE}/traces`, {
    query: { ...filter, before, limit: TRACES_PAGE },
    signal,
  });
  return { items: answer.traces, next: answer.next } satisfies Page<TraceSummary>;
}

export async function fetchTrace(traceId: string, signal: AbortSignal): Promise<Span[]> {
  const answer = await getJson<{ spans: Span[] }>(`${BASE}/traces/${encodeURIComponent(traceId)}`, { signal });
  return answer.spans;
}

export interface TailFilter {
  q?: string | undefined;
  service?: string | undefined;
  level?: LevelName | undefined;
  traceId?: string | undefined;
}

export interface LogFilter extends TailFilter {
  spanId?: string | undefined;
}

type WireLogLine = Omit<LogLine, 'key'> & { id?: string };

let madeKeys = 0;
const withKey = ({ id, ...line }: WireLogLine): LogLine => ({ ...line, key: id ?? `tail-${++madeKeys}` });

export async function searchLogs(filter: LogFilter, before: string | undefined, signal: AbortSignal) {
  const answer = await getJson<{ logs: WireLogLine[]; next: string | null }>(`${BASE}/logs`, {
    query: { ...filter, before, limit: LOGS_PAGE },
    signal,
  });
  return { items: answer.logs.map(withKey), next: answer.next } satisfies Page<LogLine>;
}

export interface TailBatch {
  /** Lines the server skipped because this reader was slow. */
  dropped: number;
  logs: LogLine[];
}

/** Streams new lines until the server ends the stream (resolves) or the signal aborts (rejects). */
export async function tailLogs(filter: TailFilter, signal: AbortSignal, onBatch: (batch: TailBatch) => void): Promise<void> {
  const response = await apiFetch(`${BASE}/logs/tail`, { query: { ...filter }, signal, accept: 'text/event-stream' });
  if (!response.body) throw new Error('This browser cannot read a stream.');
  for await (const event of readSse(response.body)) {
    if (event.event !== 'logs') continue;
    const batch = JSON.parse(event.data) as { dropped?: number; logs: WireLogLine[] };
    onBatch({ dropped: batch.dropped ?? 0, logs: batch.logs.map(withKey) });
  }
}

/** How the last scrape of one instance went (GET /status → scrapes). */
export interface ScrapeStatus {
  instance: string;
  service: string;
  url: string;
  /** When the scrape ended (ms since the epoch). */
  at: number;
  ok: boolean;
  error?: string;
  durationMs: number;
  series: number;
}

export async function fetchScrapes(signal: AbortSignal): Promise<ScrapeStatus[]> {
  const answer = await getJson<{ scrapes: ScrapeStatus[] }>(`${BASE}/status`, { signal });
  return answer.scrapes;
}

/** One step of a RED series; the durations are null when nothing was timed. */
export interface RedPoint {
  /** The step's start. */
  time: string;
  requests: number;
  errors: number;
  ratePerSecond: number;
  errorRatio: number;
  meanMs: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface RedSeries {
  service: string;
  /** `METHOD /route` of a route; the callee of an edge. */
  target: string;
  /** Only the steps with requests, oldest first. */
  points: RedPoint[];
}

export interface RedQuery {
  kind: 'route' | 'edge';
  service?: string | undefined;
  target?: string | undefined;
  minutes: number;
  stepSeconds: number;
}

export async function fetchRed(query: RedQuery, signal: AbortSignal): Promise<RedSeries[]> {
  const answer = await getJson<{ series: RedSeries[] }>(`${BASE}/red`, { query: { ...query }, signal });
  return answer.series;
}

/** A caller→callee edge of the map: counts from the metrics, `via` and `tracedSpans` from the traces. */
export interface MapEdge {
  caller: string;
  callee: string;
  requests: number;
  errors: number;
  errorRatio: number;
  p99Ms: number | null;
  via: ('http' | 'event')[];
  tracedSpans: number;
}

export async function fetchMap(minutes: number, signal: AbortSignal): Promise<MapEdge[]> {
  const answer = await getJson<{ edges: MapEdge[] }>(`${BASE}/map`, { query: { minutes }, signal });
  return answer.edges;
}
