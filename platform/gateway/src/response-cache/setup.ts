// The gateway's response cache as its settings make it: on unless the live setting or
// GATEWAY_RESPONSE_CACHE says off, emptied by catalog's product events, counted in /metrics.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge } from 'prom-client';
import type { ServiceContext } from '@souk/chassis';
import { PriceChanged, ProductCreated, ProductDeleted, ProductRenamed } from '@souk/catalog/contract';
import type { Static } from 'typebox';
import type { GatewayConfig } from '../config.ts';
import type { ResponseRecorder } from '../forward.ts';
import type { GatewaySettings } from '../settings.ts';
import { answerFromCache, createResponseCache } from './cache.ts';
import { startFeedTail } from './invalidation.ts';

/** The events after which a kept page of products may be wrong. */
const CATALOG_CHANGES = [ProductCreated, PriceChanged, ProductRenamed, ProductDeleted].map((e) => e.type);
const MAX_ENTRIES = 10_000;
const MAX_BODY_BYTES = 256 * 1024;
/** A page of 100 products is ~60 KiB: hundreds of pages, and a bound on what query strings can make it hold. */
const MAX_TOTAL_BYTES = 32 * 1024 * 1024;

/** Answered from the cache (nothing more to do). */
export const ANSWERED = Symbol('answered');

export interface EdgeCache {
  /** For an anonymous GET of a cached route: answers it, or returns what records the upstream's answer; undefined: not cached now. */
  /** `key`: the request target, with the caller's release in front while releases split the service's users. */
  serve(req: IncomingMessage, res: ServerResponse, key: string): typeof ANSWERED | ResponseRecorder | undefined;
}

export function createEdgeCache(ctx: ServiceContext<Static<typeof GatewayConfig>>): EdgeCache {
  const pinned = ctx.config.GATEWAY_RESPONSE_CACHE;
  // Off for good: no feed to read, nothing to count.
  if (pinned === 'off') return { serve: () => undefined };
  const enabledBy = (settings: GatewaySettings) =>
    pinned !== undefined ? pinned === 'on' : settings.responseCache?.enabled !== false;
  let enabled = enabledBy(ctx.settings.current() as GatewaySettings);
  ctx.settings.onChange((settings) => {
    enabled = enabledBy(settings as GatewaySettings);
    if (!enabled) cache.invalidate();
  });

  const cache = createResponseCache({
    maxEntries: MAX_ENTRIES,
    maxBodyBytes: MAX_BODY_BYTES,
    maxTotalBytes: MAX_TOTAL_BYTES,
  });
  const requests = new Counter({
    name: 'souk_gateway_cache_requests_total',
    help: 'Anonymous GETs of cached routes: answered from the cache (hit), sent on and kept if allowed (miss), or sent on while the cache keeps nothing (bypass: it cannot hear the events that empty it).',
    labelNames: ['outcome'],
    registers: [ctx.metrics],
  });
  const hit = requests.labels('hit');
  const miss = requests.labels('miss');
  const bypass = requests.labels('bypass');
  new Gauge({
    name: 'souk_gateway_cache_bytes',
    help: 'Bytes of the bodies the response cache holds (at most 32 MiB).',
    registers: [ctx.metrics],
    collect() {
      this.set(cache.bytes());
    },
  });
  new Gauge({
    name: 'souk_gateway_cache_entries',
    help: 'Answers the response cache holds.',
    registers: [ctx.metrics],
    collect() {
      this.set(cache.size());
    },
  });

  const tail = startFeedTail({
    client: ctx.client('catalog'),
    producer: 'catalog',
    types: CATALOG_CHANGES,
    log: ctx.log,
    waitMs: ctx.config.EVENTS_FEED_WAIT_MS,
    onChange: () => cache.invalidate(),
    onHearing: (hearing) => {
      cache.setActive(hearing);
      ctx.log.info(
        { producer: 'catalog' },
        hearing
          ? 'response cache on: it hears catalog’s changes'
          : 'response cache keeps nothing: catalog’s feed is out of reach',
      );
    },
  });
  ctx.onClose(() => tail.stop());

  const now = () => ctx.clock.now();
  return {
    serve(req, res, key) {
      if (!enabled) return undefined;
      if (!cache.active()) {
        bypass.inc();
        return undefined;
      }
      const t = now();
      const answer = cache.lookup(key, t);
      if (answer !== undefined) {
        hit.inc();
        answerFromCache(req, res, answer, t);
        return ANSWERED;
      }
      miss.inc();
      return cache.recorder(key, now);
    },
  };
}
