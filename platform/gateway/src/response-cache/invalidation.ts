// What empties the response cache: the producer's own events, read from its
// feed (`/_events`, served in both transports) with the gateway's token
// (scope events:read:<producer>). The gateway keeps no cursor: a cache starts
// empty, so it only needs what happens from now on. It reads to the feed's
// head first, then holds a long poll for the types that change what it keeps;
// each page of them drops the cache. While the feed cannot be read the cache
// keeps nothing, since it would not hear a price change.

import { FEED_PATH, type FeedPage, type Logger, type ServiceClient } from '@souk/chassis';

export interface FeedTailOptions {
  client: ServiceClient;
  producer: string;
  types: readonly string[];
  log: Logger;
  /** Long poll held by the producer when nothing new came. */
  waitMs: number;
  /** Something changed: drop what was kept. */
  onChange(): void;
  /** The tail hears the feed (true) or lost it (false). */
  onHearing(hearing: boolean): void;
}

const CATCH_UP_PAGE = 1000;
/** After a failed read: 0.5 s doubling to 5 s (the cache is useless meanwhile; a read is cheap). */
const RETRY_BASE_MS = 500;
const RETRY_CAP_MS = 5_000;
/** Failures in a row before they are a warning: at start the gateway is often up before catalog and identity. */
const QUIET_FAILURES = 10;

export function startFeedTail(o: FeedTailOptions): { stop(): Promise<void> } {
  const stopping = new AbortController();
  let hearing = false;
  const hear = (now: boolean) => {
    if (now === hearing) return;
    hearing = now;
    o.onHearing(now);
  };

  const read = (after: number, key: number | undefined, waitMs: number, limit: number) =>
    o.client.request<FeedPage>({
      method: 'GET',
      path: FEED_PATH,
      query: { after, ...(key !== undefined ? { key } : {}), types: o.types.join(','), limit, waitMs },
      timeoutMs: waitMs + 5_000,
      signal: stopping.signal,
      auth: 'service',
    });

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        // From the start of the feed to its head, without waiting: only where it ends matters.
        let at = { position: 0, key: undefined as number | undefined };
        for (;;) {
          const page = (await read(at.position, at.key, 0, CATCH_UP_PAGE)).body;
          at = { position: page.position, key: page.key };
          if (page.events.length < CATCH_UP_PAGE) break;
        }
        hear(true);
        failures = 0;
        for (;;) {
          const page = (await read(at.position, at.key, o.waitMs, CATCH_UP_PAGE)).body;
          if (page.events.length > 0) o.onChange();
          at = { position: page.position, key: page.key };
        }
      } catch (err) {
        if (stopping.signal.aborted) return;
        hear(false);
        failures++;
        if (failures === 1 || failures === QUIET_FAILURES) {
          o.log[failures === 1 ? 'info' : 'warn'](
            { err, producer: o.producer, failures },
            'response cache: cannot read the feed; keeping nothing until it can',
          );
        }
        const delay = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(failures - 1, 10));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          stopping.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
      }
    }
  }

  const running = run();
  return {
    async stop() {
      stopping.abort();
      await running.catch(() => undefined);
    },
  };
}
