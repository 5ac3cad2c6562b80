// Routing with the History API under the console's base (/console/): the gateway answers index.html for
// every path below it, so a reload or a shared link opens the same page.

import { useMemo, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const BASE = import.meta.env.BASE_URL.replace(/\/$/, '');
const CHANGED = 'souk-console:navigate';

export interface Location {
  /** The path below the base: `/traces`, `/traces/4bf9…`, `/logs`. */
  path: string;
  params: URLSearchParams;
  /** The query string, with its `?` ('' when empty). */
  search: string;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  window.addEventListener(CHANGED, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(CHANGED, listener);
  };
}

const current = () => `${window.location.pathname}${window.location.search}`;

export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, current);
  return useMemo(() => {
    const url = new URL(href, window.location.origin);
    const below = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) : url.pathname;
    return { path: below === '' ? '/' : below, params: url.searchParams, search: url.search };
  }, [href]);
}

export function hrefOf(to: string): string {
  return `${BASE}${to}`;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const target = hrefOf(to);
  if (target === current()) return;
  if (options.replace) window.history.replaceState(null, '', target);
  else window.history.pushState(null, '', target);
  window.dispatchEvent(new Event(CHANGED));
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string };

/** A real link (it opens in a new tab, and copies, as one) that navigates in place on a plain click. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={hrefOf(to)} onClick={follow} {...rest} />;
}
