// Query strings from plain values: empty, false and missing values are left out, so a URL names only the
// filters a person set.

export type QueryValues = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** `?a=1&b=x`, or '' when no value is set. */
export function toSearch(values: QueryValues): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    params.set(name, String(value));
  }
  const search = params.toString();
  return search ? `?${search}` : '';
}

/** A trimmed query or form value; undefined when it is empty. */
export function valueOf(source: URLSearchParams | FormData, name: string): string | undefined {
  const value = source.get(name);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

export const TRACE_ID = /^[0-9a-f]{32}$/;
export const BAD_TRACE_ID = 'A trace ID is 32 hexadecimal digits (0-9, a-f).';
