// Coded errors: every failure a caller may see carries a stable code, an HTTP
// status and a retryable flag, and crosses the wire as RFC 9457 problem+json.

const SOUK_ERROR = Symbol.for('souk.error');

/** How an error code is described once, in a catalogue. */
export interface ErrorSpec {
  /** Stable code, `SOUK_<AREA>_<WHAT>`. */
  readonly code: string;
  /** HTTP status the code maps to. */
  readonly status: number;
  /** Short, human-readable summary; the same for every occurrence (problem `title`). */
  readonly title: string;
  /** Whether the same request may succeed if repeated later. */
  readonly retryable?: boolean;
  /** One sentence for the catalogue: when this happens and what to do. */
  readonly description: string;
}

export interface SoukErrorOptions {
  /** Occurrence-specific explanation (problem `detail`). */
  detail?: string;
  cause?: unknown;
  /** Extra members for the problem document (e.g. `errors`, `retryAfter`). */
  extensions?: Record<string, unknown>;
  /** Response headers to send with the problem (e.g. `Retry-After`). */
  headers?: Record<string, string>;
}

/** An error with a stable code. Check with `isSoukError` / `err.code`, never `instanceof`. */
export class SoukError extends Error {
  readonly [SOUK_ERROR] = true;
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly retryable: boolean;
  readonly detail: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(spec: Omit<ErrorSpec, 'description'>, options: SoukErrorOptions = {}) {
    super(options.detail ?? spec.title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SoukError';
    this.code = spec.code;
    this.status = spec.status;
    this.title = spec.title;
    this.retryable = spec.retryable ?? false;
    this.detail = options.detail ?? spec.title;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

/** True for any souk error, whichever copy of the chassis created it. */
export function isSoukError(err: unknown): err is SoukError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[SOUK_ERROR] === true;
}

/** Creates errors of one code; `factory.code` lets callers compare without strings scattered around. */
export interface ErrorFactory {
  (detailOrOptions?: string | SoukErrorOptions): SoukError;
  readonly code: string;
  readonly spec: ErrorSpec;
  /** True when `err` is a souk error with this factory's code. */
  is(err: unknown): err is SoukError;
}

const catalogue = new Map<string, ErrorSpec>();

/**
 * Declares a group of error codes and returns a factory for each. Every code
 * lands in the process-wide catalogue, which a test keeps complete and in step
 * with docs/errors.md.
 */
export function defineErrors<K extends string>(specs: Record<K, ErrorSpec>): Record<K, ErrorFactory> {
  const factories = {} as Record<K, ErrorFactory>;
  for (const key of Object.keys(specs) as K[]) {
    const spec = specs[key];
    if (!/^SOUK_[A-Z0-9]+(_[A-Z0-9]+)*$/.test(spec.code)) throw new Error(`bad error code ${spec.code}`);
    const known = catalogue.get(spec.code);
    if (known && known !== spec) throw new Error(`error code ${spec.code} defined twice`);
    catalogue.set(spec.code, spec);
    const factory = ((arg?: string | SoukErrorOptions) =>
      new SoukError(spec, typeof arg === 'string' ? { detail: arg } : arg)) as ErrorFactory;
    Object.defineProperties(factory, {
      code: { value: spec.code },
      spec: { value: spec },
      is: { value: (err: unknown) => isSoukError(err) && err.code === spec.code },
    });
    factories[key] = factory;
  }
  return factories;
}

/** Every code defined so far in this process. */
export function errorCatalogue(): ReadonlyMap<string, ErrorSpec> {
  return catalogue;
}
