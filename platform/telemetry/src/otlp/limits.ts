// What one OTLP export request may hold. A request over a hard limit is refused whole (the exporter
// logs the 400); the attribute limit only trims, as the SDKs' own span limits do.

/** Spans in one request, over every ResourceSpans and ScopeSpans; more is an error. */
export const MAX_SPANS_PER_REQUEST = 10_000;

/** AnyValues from an attribute down to its innermost array or kvlist element (a plain value is depth 1); deeper is an error. */
export const MAX_ANY_VALUE_DEPTH = 8;

/** UTF-16 code units kept of any string the decoders return; a longer one is cut and gets '…' appended. */
export const MAX_STRING_LENGTH = 4096;

/** Attributes kept per span (and per event and per link); the ones after are dropped, without an error. */
export const MAX_ATTRIBUTES_PER_SPAN = 128;
