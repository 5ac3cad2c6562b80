// A shipped log line as the store keeps it: pino JSON read for its time, level, message and trace ids;
// any other line (a stack trace printed by Node, a tool's output) kept as an info-level message.

export interface LogRecord {
  /** Microseconds since the epoch. */
  timeUs: number;
  service: string;
  instance: string;
  /** pino's numbers: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
  level: number;
  msg: string;
  traceId: string | null;
  spanId: string | null;
  /** The line as it came (truncated at MAX_LINE_CHARS). */
  line: string;
}

export const LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
/** A longer line is cut: a log line is a message, not a payload. */
export const MAX_LINE_CHARS = 16_384;
const HEX = /^[0-9a-f]+$/;

function hexId(value: unknown, length: number): string | null {
  return typeof value === 'string' && value.length === length && HEX.test(value) ? value : null;
}

function levelOf(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value);
  if (typeof value === 'string') return LEVELS[value.toLowerCase()] ?? 30;
  return 30;
}

function timeUsOf(value: unknown, fallbackUs: number): number {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(ms) && ms > 0 ? Math.round(ms * 1000) : fallbackUs;
}

/** One line of `instance`'s output; `receivedUs` stands in for a line without a time. */
export function parseLogLine(service: string, instance: string, raw: string, receivedUs: number): LogRecord {
  const line = raw.length > MAX_LINE_CHARS ? `${raw.slice(0, MAX_LINE_CHARS - 1)}…` : raw;
  let record: Record<string, unknown> | undefined;
  if (raw.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(raw);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) record = value as Record<string, unknown>;
    } catch {
      // not JSON after all: kept as text below
    }
  }
  if (!record) return { timeUs: receivedUs, service, instance, level: 30, msg: line, traceId: null, spanId: null, line };
  const msg = typeof record.msg === 'string' ? record.msg : typeof record.message === 'string' ? record.message : '';
  return {
    timeUs: timeUsOf(record.time, receivedUs),
    service,
    instance,
    level: levelOf(record.level),
    msg: msg.length > 1000 ? `${msg.slice(0, 999)}…` : msg,
    traceId: hexId(record.trace_id, 32),
    spanId: hexId(record.span_id, 16),
    line,
  };
}
