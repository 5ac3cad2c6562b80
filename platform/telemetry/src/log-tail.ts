// The live tail: every stored log line is offered to the open tails whose filter it passes. A tail that
// cannot keep up (its socket's buffer full) loses lines and is told how many, rather than growing memory.

import type { LogRecord } from './log-lines.ts';

export interface TailFilter {
  service?: string | undefined;
  minLevel?: number | undefined;
  text?: string | undefined;
  traceId?: string | undefined;
}

export interface Tail {
  close(): void;
  /** The receiver drained: lines go to it again (the next batch says how many it missed). */
  resume(): void;
}

export interface LogTailHub {
  publish(records: readonly LogRecord[]): void;
  /** `send` returns false when the receiver is full: the lines offered then are counted as dropped. */
  open(filter: TailFilter, send: (records: LogRecord[], dropped: number) => boolean): Tail;
  size(): number;
}

export function matches(filter: TailFilter, record: LogRecord): boolean {
  return (
    (filter.service === undefined || record.service === filter.service) &&
    (filter.minLevel === undefined || record.level >= filter.minLevel) &&
    (filter.traceId === undefined || record.traceId === filter.traceId) &&
    (filter.text === undefined || record.line.toLowerCase().includes(filter.text.toLowerCase()))
  );
}

export function createLogTailHub(): LogTailHub {
  const tails = new Set<{
    filter: TailFilter;
    send: (records: LogRecord[], dropped: number) => boolean;
    blocked: boolean;
    dropped: number;
  }>();
  return {
    publish(records) {
      for (const tail of tails) {
        const wanted = records.filter((r) => matches(tail.filter, r));
        if (wanted.length === 0) continue;
        if (tail.blocked) {
          tail.dropped += wanted.length;
          continue;
        }
        tail.blocked = !tail.send(wanted, tail.dropped);
        tail.dropped = 0;
      }
    },
    open(filter, send) {
      const tail = { filter, send, blocked: false, dropped: 0 };
      tails.add(tail);
      return {
        close: () => void tails.delete(tail),
        resume: () => void (tail.blocked = false),
      };
    },
    size: () => tails.size,
  };
}
