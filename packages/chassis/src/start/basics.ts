// The first phase of a start: the configuration (the common variables and the
// service's own, validated together), the instance's identity, and what every
// later phase reports through (logs, traces, metrics).

import { randomBytes } from 'node:crypto';
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Type, type Static, type TObject } from 'typebox';
import { CommonConfig, loadConfig, type Env } from '../config.ts';
import { createLogger } from '../logging.ts';
import { createMetricsRegistry } from '../metrics.ts';
import { openSecrets, type Secrets } from '../secrets/secrets.ts';
import { initTracing } from '../tracing.ts';

/** A clock in milliseconds; tests pass a fake one. */
export interface Clock {
  now(): number;
}

export interface Basics<Cfg> {
  name: string;
  instanceId: string;
  version: string;
  config: Readonly<Cfg & CommonConfig>;
  clock: Clock;
  log: Logger;
  tracer: Tracer;
  /** Sends the spans still buffered; the last thing a stop does. */
  flushTraces(): Promise<void>;
  metrics: Registry;
  /** The service's secrets (SECRETS_DIR or Vault); read at start, never from the environment. */
  secrets: Secrets;
}

export function loadBasics<C extends TObject>(
  definition: { name: string; version: string; config?: C },
  options: { env?: Env; clock?: Clock },
): Basics<Static<C>> {
  const schema = Type.Object({ ...CommonConfig.properties, ...(definition.config?.properties ?? {}) });
  const config = loadConfig(schema, options.env ?? process.env) as unknown as Readonly<Static<C> & CommonConfig>;
  const { name, version } = definition;
  const instanceId = config.INSTANCE_ID ?? `${name}-${randomBytes(3).toString('hex')}`;
  const tracing = initTracing({
    service: name,
    version,
    instance: instanceId,
    sampling: { sampler: config.OTEL_TRACES_SAMPLER, ratio: config.OTEL_TRACES_SAMPLER_ARG },
  });
  return {
    name,
    instanceId,
    version,
    config,
    clock: options.clock ?? { now: () => Date.now() },
    log: createLogger({ service: name, instance: instanceId, level: config.LOG_LEVEL }),
    tracer: tracing.tracer,
    flushTraces: () => tracing.shutdown(),
    metrics: createMetricsRegistry({ service: name, instance: instanceId }),
    secrets: openSecrets(config, { service: name }),
  };
}
