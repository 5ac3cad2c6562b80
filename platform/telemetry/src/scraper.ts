// The metrics scraper: every interval it reads `/metrics` from the admin listener of every instance the
// registry lists (metadata `adminUrl`), turns the rise of each counter since its last scrape into RED
// samples (scrape/red.ts) and stores them. With mutual TLS it presents telemetry's certificate (each
// instance's ADMIN_CALLERS must name `telemetry`) and accepts only an answer from the service it meant to
// call. It keeps, per instance, how the last scrape went, for the status API and the console.

import { tlsFetches, type Discovery, type ServiceInstance, type ServiceTls } from '@souk/chassis';
import type { Logger } from 'pino';
import { diffRed, extractRed, type RedSnapshot } from './scrape/red.ts';
import { parsePrometheusText } from './scrape/prometheus-text.ts';
import type { StoredRedSample, TelemetryStore } from './store.ts';

export interface ScrapeStatus {
  instance: string;
  service: string;
  url: string;
  /** When the last scrape ended (ms since the epoch). */
  at: number;
  ok: boolean;
  error?: string;
  durationMs: number;
  /** Series read from its last answer. */
  series: number;
}

export interface Scraper {
  /** One round over every instance; resolves when all answered or timed out. */
  scrapeAll(signal?: AbortSignal): Promise<void>;
  status(): ScrapeStatus[];
  close(): Promise<void>;
}

export interface ScraperDeps {
  discovery: Discovery;
  store: Pick<TelemetryStore, 'insertRedSamples'>;
  tls: ServiceTls | undefined;
  log: Pick<Logger, 'warn' | 'debug'>;
  timeoutMs: number;
  now?: () => number;
}

/** The admin URL of an instance, when it registered one. */
const adminUrlOf = (instance: ServiceInstance): string | undefined => instance.metadata.adminUrl;

export function createScraper(deps: ScraperDeps): Scraper {
  const now = deps.now ?? Date.now;
  const previous = new Map<string, { snapshot: RedSnapshot; at: number }>();
  const statuses = new Map<string, ScrapeStatus>();
  // One mutual-TLS fetch per called service: each checks that the answer comes from that service.
  const fetches = tlsFetches(deps.tls);

  async function scrapeOne(instance: ServiceInstance, adminUrl: string, signal: AbortSignal): Promise<StoredRedSample[]> {
    const started = now();
    const url = `${adminUrl}/metrics`;
    try {
      const response = await fetches.for(instance.service)(url, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(deps.timeoutMs)]),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const snapshot = extractRed(instance.service, parsePrometheusText(text));
      const at = now();
      const before = previous.get(instance.instanceId);
      previous.set(instance.instanceId, { snapshot, at });
      statuses.set(instance.instanceId, {
        instance: instance.instanceId,
        service: instance.service,
        url,
        at,
        ok: true,
        durationMs: at - started,
        series: snapshot.series,
      });
      const samples = diffRed(before?.snapshot, snapshot, before ? (at - before.at) / 1000 : 0);
      return samples.map((s) => ({ ...s, instance: instance.instanceId }));
    } catch (err) {
      const at = now();
      const error = err instanceof Error ? err.message : String(err);
      if (statuses.get(instance.instanceId)?.ok !== false)
        deps.log.warn({ instance: instance.instanceId, url, err }, 'scrape failed');
      statuses.set(instance.instanceId, {
        instance: instance.instanceId,
        service: instance.service,
        url,
        at,
        ok: false,
        error,
        durationMs: at - started,
        series: 0,
      });
      return [];
    }
  }

  return {
    async scrapeAll(signal = new AbortController().signal) {
      const instances = deps.discovery
        .services()
        .flatMap((service) => deps.discovery.instances(service))
        .filter((i) => adminUrlOf(i) !== undefined);
      const live = new Set(instances.map((i) => i.instanceId));
      // An instance gone from the registry is forgotten: a new one under its id starts a new window.
      for (const id of [...previous.keys()]) if (!live.has(id)) previous.delete(id);
      for (const id of [...statuses.keys()]) if (!live.has(id)) statuses.delete(id);
      const samples = (await Promise.all(instances.map((i) => scrapeOne(i, adminUrlOf(i)!, signal)))).flat();
      if (samples.length > 0) await deps.store.insertRedSamples(now() * 1000, samples);
    },
    status: () => [...statuses.values()].sort((a, b) => a.instance.localeCompare(b.instance)),
    async close() {
      await fetches.close();
    },
  };
}
