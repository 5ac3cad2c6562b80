// The telemetry backend: OTLP/HTTP traces, log lines from the shipper, metrics scraped from every
// instance, kept in its own database within retention limits, and queried by the console. Wired onto
// the chassis. It exports no spans of its own (the devhost gives it no OTLP endpoint): traced, each
// export it stores would make spans to export in turn.

import { setMaxListeners } from 'node:events';
import { defineService, startPeriodic } from '@souk/chassis';
import { migrations } from '../migrations/index.ts';
import { ingestAccess } from './access.ts';
import { TelemetryConfig } from './config.ts';
import { createGroupWriter } from './group-writer.ts';
import type { LogRecord } from './log-lines.ts';
import { createLogTailHub } from './log-tail.ts';
import type { SpanRecord } from './model.ts';
import { applyRetention } from './retention.ts';
import { registerTelemetryRoutes } from './routes.ts';
import { createScraper } from './scraper.ts';
import { createStore } from './store.ts';

/** Rows one write takes at most: a statement of a few megabytes of JSON. */
const MAX_BATCH = 5_000;
/** Rows waiting in memory at most, per kind, before ingestion answers 503. */
const MAX_PENDING = 50_000;

export const telemetryService = defineService()({
  name: 'telemetry',
  version: '0.1.0',
  config: TelemetryConfig,
  migrations,
  async setup(ctx) {
    const { config } = ctx;
    const store = createStore(ctx.db);
    const spans = createGroupWriter<SpanRecord>(async (rows) => void (await store.insertSpans(rows)), {
      maxBatch: MAX_BATCH,
      maxPending: MAX_PENDING,
    });
    const logs = createGroupWriter<LogRecord>((rows) => store.insertLogs(rows), { maxBatch: MAX_BATCH, maxPending: MAX_PENDING });
    const limits = {
      maxAgeHours: config.TELEMETRY_RETENTION_HOURS,
      maxSpans: config.TELEMETRY_MAX_SPANS,
      maxLogLines: config.TELEMETRY_MAX_LOG_LINES,
    };
    const scraper = createScraper({
      discovery: ctx.discovery,
      store,
      tls: ctx.tls,
      log: ctx.log,
      timeoutMs: config.TELEMETRY_SCRAPE_TIMEOUT_MS,
    });
    const tasks = [
      startPeriodic({
        name: 'telemetry-retention',
        intervalMs: config.TELEMETRY_RETENTION_INTERVAL_MS,
        runAtStart: true,
        metrics: ctx.metrics,
        log: ctx.log,
        run: async (signal) => {
          const deleted = await applyRetention(ctx.db, limits, new Date(), signal);
          if (Object.values(deleted).some((n) => n > 0)) ctx.log.info({ deleted }, 'telemetry retention');
        },
      }),
      ...(config.TELEMETRY_SCRAPE_INTERVAL_MS > 0
        ? [
            startPeriodic({
              name: 'telemetry-scrape',
              intervalMs: config.TELEMETRY_SCRAPE_INTERVAL_MS,
              metrics: ctx.metrics,
              log: ctx.log,
              run: (signal) => scraper.scrapeAll(signal),
            }),
          ]
        : []),
    ];
    // Live tails end as the server starts to close, so that draining does not wait for them.
    const closing = new AbortController();
    setMaxListeners(0, closing.signal);
    ctx.app.addHook('preClose', async () => closing.abort());
    ctx.onClose(async () => {
      await Promise.all(tasks.map((t) => t.stop()));
      await Promise.all([spans.drain(), logs.drain()]);
      await scraper.close();
    });
    const mtls = ctx.tls !== undefined;
    if (!mtls) ctx.log.warn('no TLS: any local process may send spans and log lines');
    registerTelemetryRoutes(ctx.app, {
      store,
      spans,
      logs,
      tail: createLogTailHub(),
      scraper,
      access: ingestAccess({
        mtls,
        forwarders: new Set(
          config.TELEMETRY_FORWARDERS.split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        ),
      }),
      auth: ctx.auth,
      limits,
      maxBodyBytes: config.TELEMETRY_MAX_BODY_BYTES,
      closing: closing.signal,
    });
  },
});
