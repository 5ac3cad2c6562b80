// The terminal view of every process's output: one prefixed, coloured line per log line, pino JSON
// rendered compactly (or kept raw with --json-logs), and every raw line appended to logs/<instance>.log
// (0600: service output can hold tokens; terminalOnly() lines, the admin password, never reach a file).
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';

const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const BOLD = '\x1b[1m';
/** Instance colours, picked in order; chosen to stay readable on dark and light backgrounds. */
const PALETTE = [
  '\x1b[36m',
  '\x1b[35m',
  '\x1b[34m',
  '\x1b[33m',
  '\x1b[32m',
  '\x1b[96m',
  '\x1b[95m',
  '\x1b[94m',
  '\x1b[93m',
  '\x1b[92m',
];
const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', DIM],
  20: ['DEBUG', DIM],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[41m\x1b[97m'],
};
const LEVEL_BY_NAME: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
/** Fields every line has, or that the prefix already says. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'instance', 'name', 'v', 'span_id']);
/** Shown first, in this order, when present. */
const NOTABLE = ['trace_id', 'reqId', 'req', 'res', 'responseTime', 'err'];
const MAX_VALUE = 160;
/** Log files are for their owner only (the logs dir is 0700 as well). */
export const LOG_FILE_MODE = 0o600;

export interface RenderOptions {
  color: boolean;
}

/** Colour when writing to a terminal, unless NO_COLOR is set (https://no-color.org); FORCE_COLOR forces it. */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

/** A pino JSON line as `12:03:04.567 INFO  msg trace_id=… key=value`; anything else unchanged. */
export function renderLine(line: string, options: RenderOptions): string {
  const record = parseRecord(line);
  if (!record) return line;
  const paint = (code: string, text: string): string => (options.color ? code + text + RESET : text);
  const level = levelNumber(record.level);
  const [label, levelColor] = LEVELS[level] ?? [text(record.level, '?').toUpperCase().padEnd(5), ''];
  const parts = [paint(DIM, formatTime(record.time)), paint(levelColor, label), text(record.msg, '')];
  const keys = [...NOTABLE.filter((k) => k in record), ...Object.keys(record).filter((k) => !NOTABLE.includes(k))];
  const fields: string[] = [];
  let stack: string | undefined;
  for (const key of keys) {
    if (HIDDEN.has(key) || record[key] === undefined) continue;
    const value = record[key];
    if (key === 'err' && isObject(value)) {
      fields.push(`err=${quote(text(value.message ?? value.type, 'error'))}`);
      if (level >= 50 && typeof value.stack === 'string') stack = value.stack;
    } else if (key === 'req' && isObject(value) && typeof value.method === 'string') {
      fields.push(`req=${quote(`${value.method} ${text(value.url, '')}`)}`);
    } else if (key === 'res' && isObject(value) && 'statusCode' in value) {
      fields.push(`status=${String(value.statusCode)}`);
    } else {
      fields.push(`${key}=${formatValue(value)}`);
    }
  }
  const head = [...parts, ...(fields.length ? [paint(DIM, fields.join(' '))] : [])].join(' ');
  if (!stack) return head;
  // The first stack line repeats the message; indent the frames under the line they belong to.
  return [
    head,
    ...stack
      .split('\n')
      .slice(1)
      .map((frame) => paint(DIM, '    ' + frame.trim())),
  ].join('\n');
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return isObject(value) && ('msg' in value || 'level' in value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function levelNumber(level: unknown): number {
  if (typeof level === 'number') return level;
  if (typeof level === 'string') return LEVEL_BY_NAME[level.toLowerCase()] ?? 0;
  return 0;
}

function formatTime(time: unknown): string {
  const date = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  const d = Number.isNaN(date.getTime()) ? new Date() : date;
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function formatValue(value: unknown): string {
  const text = typeof value === 'string' ? quote(value) : (JSON.stringify(value) ?? String(value));
  return text.length > MAX_VALUE ? text.slice(0, MAX_VALUE - 1) + '…' : text;
}

/** A JSON value as terminal text: a string as it is, anything else as JSON, null or undefined as the fallback. */
export function text(value: unknown, fallback: string): string {
  if (value === undefined || value === null) return fallback;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function quote(text: string): string {
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface LogOutputOptions {
  out: NodeJS.WritableStream;
  color: boolean;
  json: boolean;
  logsDir: string;
  /** Every name that will print, so prefixes line up from the first line on. */
  names: readonly string[];
  /**
   * Whether `out` is a person's terminal (default: its isTTY). Output piped to a file or a CI log is a log
   * too: terminalOnly() lines print their stand-in there instead.
   */
  terminal?: boolean;
}

/** Routes lines to the terminal (prefixed) and to per-instance log files (raw). */
export class LogOutput {
  private readonly width: number;
  private readonly colors = new Map<string, string>();
  private readonly files = new Map<string, WriteStream>();

  constructor(private readonly options: LogOutputOptions) {
    this.width = Math.max(...options.names.map((n) => n.length), 'devhost'.length);
    options.names.forEach((name, i) => this.colors.set(name, PALETTE[i % PALETTE.length] ?? ''));
  }

  /** A line a process wrote to stdout or stderr. */
  processLine(name: string, line: string): void {
    this.file(name).write(line + '\n');
    const text = this.options.json ? line : renderLine(line, { color: this.options.color });
    this.print(name, this.colors.get(name) ?? '', text);
  }

  /** The devhost's own messages; also kept in logs/devhost.log. */
  info(message: string): void {
    this.devhost(message, '');
  }

  warn(message: string): void {
    this.devhost(message, '\x1b[33m');
  }

  error(message: string): void {
    this.devhost(message, '\x1b[31m');
  }

  /** A devhost line holding a secret: printed on a terminal only (else `instead`), never written to logs/devhost.log. */
  terminalOnly(message: string, instead: string): void {
    const terminal = this.options.terminal ?? (this.options.out as { isTTY?: boolean }).isTTY === true;
    this.print('devhost', BOLD, terminal ? message : instead);
  }

  async close(): Promise<void> {
    await Promise.all([...this.files.values()].map((s) => new Promise<void>((resolve) => s.end(resolve))));
    this.files.clear();
  }

  private devhost(message: string, color: string): void {
    this.file('devhost').write(`${new Date().toISOString()} ${message}\n`);
    const text = color && this.options.color ? color + message + RESET : message;
    this.print('devhost', BOLD, text);
  }

  private print(name: string, color: string, text: string): void {
    const label = name.padEnd(this.width);
    const prefix = this.options.color ? `${color}${label}${RESET} ${DIM}│${RESET} ` : `${label} | `;
    this.options.out.write(
      text
        .split('\n')
        .map((l) => prefix + l)
        .join('\n') + '\n',
    );
  }

  private file(name: string): WriteStream {
    let stream = this.files.get(name);
    if (!stream) {
      stream = createWriteStream(path.join(this.options.logsDir, `${name}.log`), { flags: 'a', mode: LOG_FILE_MODE });
      this.files.set(name, stream);
    }
    return stream;
  }
}
