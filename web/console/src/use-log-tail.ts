// The live tail of the logs page: a stream of new lines for the current filters while it is on, closed
// (AbortController) when it is turned off, when the filters change and when the page goes away.

import { useEffect, useRef, useState } from 'react';
import { asError } from './problem.ts';
import { tailLogs, type LogLine, type TailFilter } from './telemetry.ts';

interface Handlers {
  /** New lines, oldest first, as they came. */
  onLines(lines: LogLine[]): void;
  /** The stream ended: the server closed it (null) or it failed. */
  onEnd(error: Error | null): void;
}

/** Streams while `on`; `key` names the filter (a new key opens a new stream). Returns how many lines were missed. */
export function useLogTail(on: boolean, key: string, filter: TailFilter, handlers: Handlers): number {
  const [missed, setMissed] = useState(0);
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });

  useEffect(() => {
    if (!on) return;
    setMissed(0);
    const controller = new AbortController();
    tailLogs(filter, controller.signal, (batch) => {
      if (batch.dropped > 0) setMissed((m) => m + batch.dropped);
      if (batch.logs.length > 0) latest.current.onLines(batch.logs);
    }).then(
      () => {
        if (!controller.signal.aborted) latest.current.onEnd(null);
      },
      (err: unknown) => {
        if (!controller.signal.aborted) latest.current.onEnd(asError(err));
      },
    );
    return () => controller.abort();
    // The filter is a function of the key.
  }, [on, key]);

  return missed;
}
