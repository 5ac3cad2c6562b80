// The telemetry backend's environment: retention limits, the scrape interval, who may forward signals.

import { Type } from 'typebox';

export const TelemetryConfig = Type.Object({
  TELEMETRY_RETENTION_HOURS: Type.Number({
    minimum: 0.01,
    default: 24,
    description: 'Age past which spans, logs and samples are deleted',
  }),
  TELEMETRY_MAX_SPANS: Type.Integer({
    minimum: 1000,
    default: 2_000_000,
    description: 'Spans kept at most (the oldest go first): the size limit',
  }),
  TELEMETRY_MAX_LOG_LINES: Type.Integer({
    minimum: 1000,
    default: 1_000_000,
    description: 'Log lines kept at most (the oldest go first)',
  }),
  TELEMETRY_RETENTION_INTERVAL_MS: Type.Integer({ minimum: 100, default: 60_000, description: 'How often old rows are deleted' }),
  TELEMETRY_SCRAPE_INTERVAL_MS: Type.Integer({
    minimum: 0,
    default: 5_000,
    description: "How often every instance's /metrics is read; 0 turns scraping off",
  }),
  TELEMETRY_SCRAPE_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 2_000 }),
  TELEMETRY_FORWARDERS: Type.String({
    default: 'devhost',
    description: 'Services (certificate names, comma-separated) that may ship log lines and send spans of other services',
  }),
  TELEMETRY_MAX_BODY_BYTES: Type.Integer({
    minimum: 65_536,
    default: 8 * 1_048_576,
    description: 'Largest OTLP or log batch accepted',
  }),
});
