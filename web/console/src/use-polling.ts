// A query that refreshes itself: it loads whenever its key changes and, while `on`, again `everyMs` after
// each answer (never two at once). A new key, turning it off and leaving the page abort the call in flight;
// turning it on loads at once, turning it off keeps what is shown. A hidden tab skips its rounds until it
// is shown again.

import { useEffect, useRef, useState } from 'react';
import { asError } from './problem.ts';

export interface Polled<T> {
  /** The last answer for the current key; null until one came. */
  data: T | null;
  /** Why the last round failed (the data of the round before stays). */
  error: Error | null;
  /** No answer nor error yet for this key. */
  loading: boolean;
  /** When the data came (ms since the epoch). */
  updatedAt: number | null;
}

interface State<T> {
  key: string;
  data: T | null;
  error: Error | null;
  updatedAt: number | null;
}

/** `load` must depend on nothing but `key`. */
export function usePolling<T>(key: string, load: (signal: AbortSignal) => Promise<T>, on: boolean, everyMs = 5000): Polled<T> {
  const [state, setState] = useState<State<T>>({ key, data: null, error: null, updatedAt: null });
  const latest = useRef(load);
  /** The key the last round answered (data or error) for. */
  const answered = useRef<string | null>(null);
  useEffect(() => {
    latest.current = load;
  });

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = () => {
      if (on && !controller.signal.aborted) timer = setTimeout(round, everyMs);
    };
    const round = (first = false) => {
      timer = undefined;
      if (!first && document.hidden) return next();
      latest.current(controller.signal).then(
        (data) => {
          if (controller.signal.aborted) return;
          answered.current = key;
          setState({ key, data, error: null, updatedAt: Date.now() });
          next();
        },
        (err: unknown) => {
          if (controller.signal.aborted) return;
          answered.current = key;
          // A failed round keeps what the key's last one showed.
          setState((s) =>
            s.key === key ? { ...s, error: asError(err) } : { key, data: null, error: asError(err), updatedAt: null },
          );
          next();
        },
      );
    };
    // Shown again while waiting: the next round now.
    const shown = () => {
      if (document.hidden || timer === undefined) return;
      clearTimeout(timer);
      round();
    };
    // Turned off: what is shown stays as it is.
    if (on || answered.current !== key) round(true);
    document.addEventListener('visibilitychange', shown);
    return () => {
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', shown);
    };
    // The loader is a function of the key.
  }, [key, on, everyMs]);

  const current = state.key === key;
  return {
    data: current ? state.data : null,
    error: current ? state.error : null,
    loading: !current || (state.data === null && state.error === null),
    updatedAt: current ? state.updatedAt : null,
  };
}
