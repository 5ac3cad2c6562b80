// Reads the Prometheus text exposition format 0.0.4 (what prom-client serves on /metrics) into metric
// families, as leniently as Prometheus' own parser; `checkExposition` adds the stricter checks of a linter.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name: `x_bucket`, `x_sum` or `x_count` in a histogram `x`. */
  name: string;
  /** Label values unescaped, in the order of the line (`le` and `quantile` included). */
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, when the line has a timestamp. */
  timestampMs: number | null;
  /** Where it stands in the text, from 1. */
  line: number;
}

export interface MetricFamily {
  name: string;
  /** `untyped` when no TYPE line names the family. */
  type: MetricType;
  /** Unescaped; null when no HELP line names the family. */
  help: string | null;
  samples: Sample[];
}

/** A line the format does not allow; `line` counts from 1. */
export class PrometheusParseError extends Error {
  // Not an API error: a scrape that fails to parse is noted in the scrape status, never answered to a caller.
  readonly kind = 'prometheus-parse';
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'PrometheusParseError';
  }
}

export function isPrometheusParseError(err: unknown): err is PrometheusParseError {
  return err instanceof Error && (err as { kind?: unknown }).kind === 'prometheus-parse';
}

export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const TYPES: ReadonlySet<string> = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
// Go's strconv.ParseFloat, which Prometheus uses, without hex floats: `Nan` (prom-client's spelling) and `+Inf` are fine.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;
const NOT_A_NUMBER = /^[+-]?nan$/i;
const TIMESTAMP = /^[+-]?\d+$/;

/** Parses a whole exposition; throws a PrometheusParseError at the first line the format does not allow. */
export function parsePrometheusText(text: string): MetricFamily[] {
  const state: ParseState = { families: new Map(), typed: new Set() };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const cursor = new Cursor(lines[i]!, i + 1);
    cursor.skipBlanks();
    if (cursor.atEnd()) continue;
    if (cursor.peek() === '#') readComment(cursor, state);
    else readSample(cursor, state);
  }
  return [...state.families.values()];
}

/** A float as the format writes it, or undefined. */
export function parseFloatValue(token: string): number | undefined {
  if (DECIMAL.test(token)) return Number(token);
  const infinity = INFINITY.exec(token);
  if (infinity) return infinity[1] === '-' ? -Infinity : Infinity;
  if (NOT_A_NUMBER.test(token)) return NaN;
  return undefined;
}

interface ParseState {
  families: Map<string, MetricFamily>;
  /** Families a TYPE line or a sample has fixed the type of. */
  typed: Set<string>;
}

class Cursor {
  pos = 0;
  constructor(
    readonly text: string,
    readonly line: number,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  /** Skips spaces and tabs; says whether there were any. */
  skipBlanks(): boolean {
    const start = this.pos;
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
    return this.pos > start;
  }

  /** The characters up to the next blank or the end of the line. */
  token(): string {
    const start = this.pos;
    while (!this.atEnd() && this.peek() !== ' ' && this.peek() !== '\t') this.pos++;
    return this.text.slice(start, this.pos);
  }

  name(pattern: RegExp, what: string): string {
    const start = this.pos;
    while (!this.atEnd() && NAME_CHAR.test(this.peek()!)) this.pos++;
    const name = this.text.slice(start, this.pos);
    if (name === '') this.fail(`expected a ${what}, found ${this.found()}`);
    if (!pattern.test(name)) this.fail(`invalid ${what} "${name}"`);
    return name;
  }

  expect(char: string, after: string): void {
    if (this.peek() !== char) this.fail(`expected '${char}' ${after}, found ${this.found()}`);
    this.pos++;
  }

  found(): string {
    return this.atEnd() ? 'the end of the line' : `'${this.peek()}'`;
  }

  fail(reason: string): never {
    throw new PrometheusParseError(this.line, reason);
  }
}

function readComment(cursor: Cursor, state: ParseState): void {
  cursor.pos++;
  cursor.skipBlanks();
  const keyword = cursor.token();
  // Any other comment is ignored, and so is a bare `# HELP`, as Prometheus does.
  if ((keyword !== 'HELP' && keyword !== 'TYPE') || !cursor.skipBlanks() || cursor.atEnd()) return;
  const name = cursor.name(METRIC_NAME, 'metric name');
  const family = familyNamed(state, name);
  if (!cursor.skipBlanks() && !cursor.atEnd()) cursor.fail(`unexpected ${cursor.found()} after metric name ${name}`);
  if (keyword === 'HELP') {
    if (family.help !== null) cursor.fail(`second HELP line for ${name}`);
    family.help = unescapeHelp(cursor);
    return;
  }
  const type = cursor.token();
  if (!TYPES.has(type)) cursor.fail(`unknown metric type "${type}" for ${name}`);
  cursor.skipBlanks();
  if (!cursor.atEnd()) cursor.fail(`unexpected text after TYPE ${name} ${type}`);
  if (state.typed.has(name)) cursor.fail(`second TYPE line for ${name}, or TYPE after its samples`);
  state.typed.add(name);
  family.type = type as MetricType;
}

function unescapeHelp(cursor: Cursor): string {
  let help = '';
  while (!cursor.atEnd()) {
    const char = cursor.peek()!;
    cursor.pos++;
    if (char !== '\\') {
      help += char;
      continue;
    }
    const escaped = cursor.peek();
    cursor.pos++;
    if (escaped === '\\') help += '\\';
    else if (escaped === 'n') help += '\n';
    else cursor.fail(`invalid escape sequence '\\${escaped ?? ''}' in HELP`);
  }
  return help;
}

function readSample(cursor: Cursor, state: ParseState): void {
  const name = cursor.name(METRIC_NAME, 'metric name');
  const blank = cursor.skipBlanks();
  let labels: [string, string][] = [];
  if (cursor.peek() === '{') {
    labels = readLabels(cursor);
    cursor.skipBlanks();
  } else if (!blank) {
    cursor.fail(`unexpected ${cursor.found()} after metric name ${name}`);
  }
  if (cursor.atEnd()) cursor.fail(`missing value for ${name}`);
  const valueToken = cursor.token();
  const value = parseFloatValue(valueToken);
  if (value === undefined) cursor.fail(`invalid value "${valueToken}" for ${name}`);
  let timestampMs: number | null = null;
  if (cursor.skipBlanks() && !cursor.atEnd()) {
    const stamp = cursor.token();
    if (!TIMESTAMP.test(stamp)) cursor.fail(`invalid timestamp "${stamp}" for ${name} (integer milliseconds)`);
    timestampMs = Number(stamp);
    cursor.skipBlanks();
    if (!cursor.atEnd()) cursor.fail(`unexpected text after the timestamp of ${name}`);
  }
  const family = familyOfSample(cursor, state, name);
  checkReservedLabel(cursor, family, name, labels);
  // fromEntries defines `__proto__` as a plain label rather than setting the prototype.
  family.samples.push({ name, labels: Object.fromEntries(labels), value, timestampMs, line: cursor.line });
}

function readLabels(cursor: Cursor): [string, string][] {
  cursor.pos++;
  const labels: [string, string][] = [];
  const seen = new Set<string>();
  for (;;) {
    cursor.skipBlanks();
    if (cursor.peek() === '}') break; // the end, after a trailing comma too
    const label = cursor.name(LABEL_NAME, 'label name');
    if (label === '__name__') cursor.fail('label name "__name__" is reserved');
    if (seen.has(label)) cursor.fail(`duplicate label name "${label}"`);
    seen.add(label);
    cursor.skipBlanks();
    cursor.expect('=', `after label name ${label}`);
    cursor.skipBlanks();
    cursor.expect('"', `to open the value of label ${label}`);
    labels.push([label, readLabelValue(cursor, label)]);
    cursor.skipBlanks();
    if (cursor.peek() !== ',') break;
    cursor.pos++;
  }
  cursor.expect('}', 'to close the label set');
  return labels;
}

function readLabelValue(cursor: Cursor, label: string): string {
  let value = '';
  for (;;) {
    if (cursor.atEnd()) cursor.fail(`unterminated value of label ${label}`);
    const char = cursor.peek()!;
    cursor.pos++;
    if (char === '"') return value;
    if (char !== '\\') {
      value += char;
      continue;
    }
    const escaped = cursor.peek();
    cursor.pos++;
    if (escaped === '\\' || escaped === '"') value += escaped;
    else if (escaped === 'n') value += '\n';
    else cursor.fail(`invalid escape sequence '\\${escaped ?? ''}' in the value of label ${label}`);
  }
}

function familyNamed(state: ParseState, name: string): MetricFamily {
  let family = state.families.get(name);
  if (!family) state.families.set(name, (family = { name, type: 'untyped', help: null, samples: [] }));
  return family;
}

/** The family a sample belongs to: its own name first, then a histogram or summary it is a part of. */
function familyOfSample(cursor: Cursor, state: ParseState, name: string): MetricFamily {
  const own = state.families.get(name);
  if (own?.type === 'histogram') cursor.fail(`a sample of histogram ${name} must be ${name}_bucket, _sum or _count`);
  if (own) return markTyped(state, own);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = state.families.get(name.slice(0, -suffix.length));
    if (base?.type === 'histogram' || (base?.type === 'summary' && suffix !== '_bucket')) return markTyped(state, base);
  }
  return markTyped(state, familyNamed(state, name));
}

function markTyped(state: ParseState, family: MetricFamily): MetricFamily {
  state.typed.add(family.name);
  return family;
}

/** What Prometheus needs to file a histogram's bucket or a summary's quantile. */
function checkReservedLabel(cursor: Cursor, family: MetricFamily, name: string, labels: [string, string][]): void {
  let label: string | undefined;
  if (family.type === 'histogram' && name === `${family.name}_bucket`) label = 'le';
  else if (family.type === 'summary' && name === family.name) label = 'quantile';
  if (label === undefined) return;
  const value = labels.find(([key]) => key === label)?.[1];
  if (value === undefined) cursor.fail(`${name} has no "${label}" label`);
  if (parseFloatValue(value) === undefined) cursor.fail(`invalid "${label}" value "${value}" on ${name}`);
}

/**
 * What a strict linter (`promtool check metrics`) would say of an exposition, among what is cheap to check: a line
 * the format does not allow, reserved or camelCase names, a family without HELP, a counter not named `_total`, a
 * series given twice, a histogram whose buckets do not add up. Empty when all is well. promtool also wants
 * non-counters not to end in `_total`; prom-client's own `nodejs_active_*_total` gauges break that, so it is left out.
 */
export function checkExposition(text: string): string[] {
  let families: MetricFamily[];
  try {
    families = parsePrometheusText(text);
  } catch (err) {
    if (isPrometheusParseError(err)) return [err.message];
    throw err;
  }
  const problems: string[] = [];
  const series = new Map<string, number>();
  for (const family of families) {
    problems.push(...lintNames(family));
    for (const sample of family.samples) {
      const key = sample.name + seriesText(sample.labels);
      const first = series.get(key);
      if (first === undefined) series.set(key, sample.line);
      else problems.push(`${family.name}: duplicate series ${key} (lines ${first} and ${sample.line})`);
    }
    if (family.type === 'histogram') problems.push(...lintHistogram(family));
  }
  return problems;
}

const CAMEL_CASE = /[a-z][A-Z]/;

function lintNames(family: MetricFamily): string[] {
  const { name, type } = family;
  const problems: string[] = [];
  const problem = (text: string) => problems.push(`${name}: ${text}`);
  if (name.startsWith('__')) problem('metric names starting with "__" are reserved');
  if (name.includes(':')) problem(`metric names should not contain ':' (kept for recording rules)`);
  if (CAMEL_CASE.test(name)) problem(`metric names should be written in 'snake_case' not 'camelCase'`);
  if (family.help === null) problem('no help text');
  if (type === 'counter' && !name.endsWith('_total')) problem('counter metrics should have "_total" suffix');
  if (type !== 'histogram') {
    if (name.endsWith('_bucket')) problem('non-histogram metrics should not have "_bucket" suffix');
    for (const suffix of ['_count', '_sum']) {
      if (type !== 'summary' && name.endsWith(suffix))
        problem(`non-histogram and non-summary metrics should not have "${suffix}" suffix`);
    }
  }
  const labels = new Set(family.samples.flatMap((sample) => Object.keys(sample.labels)));
  for (const label of labels) {
    if (label.startsWith('__')) problem(`label names starting with "__" are reserved ("${label}")`);
    if (CAMEL_CASE.test(label)) problem(`label names should be written in 'snake_case' not 'camelCase' ("${label}")`);
  }
  if (type !== 'histogram' && labels.has('le')) problem('non-histogram metrics should not have "le" label');
  if (type !== 'summary' && labels.has('quantile')) problem('non-summary metrics should not have "quantile" label');
  return problems;
}

interface HistogramSeries {
  buckets: { le: number; text: string; value: number }[];
  count: number | undefined;
  sum: number | undefined;
}

function lintHistogram(family: MetricFamily): string[] {
  const bySeries = new Map<string, HistogramSeries>();
  for (const sample of family.samples) {
    const { le, ...labels } = sample.labels;
    const key = seriesText(labels);
    let series = bySeries.get(key);
    if (!series) bySeries.set(key, (series = { buckets: [], count: undefined, sum: undefined }));
    if (sample.name === `${family.name}_count`) series.count = sample.value;
    else if (sample.name === `${family.name}_sum`) series.sum = sample.value;
    else if (le !== undefined) series.buckets.push({ le: parseFloatValue(le)!, text: le, value: sample.value });
  }
  const problems: string[] = [];
  for (const [key, { buckets, count, sum }] of bySeries) {
    const problem = (text: string) => problems.push(`${family.name}${key}: ${text}`);
    buckets.sort((a, b) => a.le - b.le);
    for (let i = 1; i < buckets.length; i++) {
      const [below, above] = [buckets[i - 1]!, buckets[i]!];
      if (above.value < below.value) {
        problem(
          `bucket le="${above.text}" (${above.value}) is below le="${below.text}" (${below.value}): buckets must be cumulative`,
        );
      }
    }
    const inf = buckets.at(-1)?.le === Infinity ? buckets.at(-1) : undefined;
    if (!inf) problem('has no le="+Inf" bucket');
    if (count === undefined) problem(`has no ${family.name}_count`);
    if (sum === undefined) problem(`has no ${family.name}_sum`);
    if (inf && count !== undefined && inf.value !== count)
      problem(`le="+Inf" bucket (${inf.value}) differs from _count (${count})`);
  }
  return problems;
}

/** `{a="x",b="y"}` with the labels sorted by name, values escaped as in the format; empty with no labels. */
export function seriesText(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (pairs.length === 0) return '';
  const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${pairs.map(([name, value]) => `${name}="${escape(value)}"`).join(',')}}`;
}
