// The one error the OTLP decoders throw: the body is not a valid ExportTraceServiceRequest, or it is
// over one of the limits. The HTTP layer answers it with 400 and the message.

const OTLP_DECODE_ERROR = Symbol.for('souk.telemetry.otlpDecodeError');

/**
 * A malformed or over-limit OTLP export request. The message says what is wrong and where: a field
 * path (`resourceSpans[0].scopeSpans[1].spans[3].traceId must be 32 hex digits …`) and, for protobuf
 * framing errors, the byte offset. Check with {@link isOtlpDecodeError}, not `instanceof`.
 */
export class OtlpDecodeError extends Error {
  readonly [OTLP_DECODE_ERROR] = true;
  /** The field path the problem is at (`resourceSpans[0].scopeSpans[1].spans[3]`), when known. */
  readonly path: string | undefined;

  constructor(message: string, path?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OtlpDecodeError';
    this.path = path;
  }
}

/** True for an {@link OtlpDecodeError}, whichever copy of this module created it. */
export function isOtlpDecodeError(err: unknown): err is OtlpDecodeError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[OTLP_DECODE_ERROR] === true;
}
