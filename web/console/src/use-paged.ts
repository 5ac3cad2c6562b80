// A search whose results come in pages, newest first: the first page loads whenever the query (its key)
// changes, "Older" appends the next one, and a live tail can put new items in front.

import { useCallback, useEffect, useRef, useState } from 'react';
import { asError } from './problem.ts';
import type { Page } from './telemetry.ts';

export type PageLoader<T> = (before: string | undefined, signal: AbortSignal) => Promise<Page<T>>;

interface PagedState<T> {
  items: T[];
  next: string | null;
  loading: boolean;
  error: Error | null;
}

export interface Paged<T> extends PagedState<T> {
  older(): void;
  /** Loads the first page again (the same query submitted twice). */
  reload(): void;
  /** New items in front, keeping at most `max`; paging on stops once items were cut from the end. */
  prepend(items: readonly T[], max: number): void;
}

/** `load` must depend on nothing but `key`. */
export function usePaged<T>(key: string, load: PageLoader<T>): Paged<T> {
  const [state, setState] = useState<PagedState<T>>({ items: [], next: null, loading: true, error: null });
  const [round, setRound] = useState(0);
  const olderCall = useRef<AbortController | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    load(undefined, controller.signal).then(
      (page) => setState({ items: page.items, next: page.next, loading: false, error: null }),
      (err: unknown) => {
        if (!controller.signal.aborted) setState({ items: [], next: null, loading: false, error: asError(err) });
      },
    );
    return () => {
      controller.abort();
      olderCall.current?.abort();
    };
    // The loader is a function of the key: a new closure with the same key is the same query.
  }, [key, round]);

  const older = () => {
    const before = state.next;
    if (before === null || state.loading) return;
    const controller = new AbortController();
    olderCall.current = controller;
    setState((s) => ({ ...s, loading: true, error: null }));
    load(before, controller.signal).then(
      (page) => setState((s) => ({ items: [...s.items, ...page.items], next: page.next, loading: false, error: null })),
      (err: unknown) => {
        if (!controller.signal.aborted) setState((s) => ({ ...s, loading: false, error: asError(err) }));
      },
    );
  };

  const reload = useCallback(() => setRound((r) => r + 1), []);

  const prepend = useCallback((items: readonly T[], max: number) => {
    setState((s) => {
      const all = [...items, ...s.items];
      // Once the oldest lines are cut, `next` would skip them: the search has to be run again to page on.
      return all.length > max ? { ...s, items: all.slice(0, max), next: null } : { ...s, items: all };
    });
  }, []);

  return { ...state, older, reload, prepend };
}
