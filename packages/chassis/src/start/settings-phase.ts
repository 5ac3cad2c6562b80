// The live settings of an instance: from the config server named by CONFIG_SERVICE (read at start,
// watched once the instance serves), or none. The circuit breakers and the clients' attempts and
// timeouts follow them. LOG_LEVEL and BREAKER_* set in the environment pin what they name.

import type { TObject } from 'typebox';
import type { Env } from '../config.ts';
import { createLiveConfig, type LiveConfig } from '../live-config/live-config.ts';
import { settingsSchema } from '../live-config/contract.ts';
import type { Breakers } from '../client/breakers.ts';
import type { ServiceClient } from '../client/types.ts';
import type { ClientRegistry } from '../client/client-registry.ts';
import type { ClientTuning } from '../client/service-client.ts';
import type { Basics } from './basics.ts';
import type { ResourceStack } from './resource-stack.ts';

export function createServiceSettings(
  basics: Basics<unknown>,
  own: TObject | undefined,
  ownPinned: readonly string[],
  clients: { get(service: string): ServiceClient; breakers: Breakers; tune: ClientRegistry['tune'] },
  env: Env,
  stack: ResourceStack,
): LiveConfig {
  const { config } = basics;
  // A BREAKER_* variable given to the process wins over the config server's breaker setting.
  const thresholdPinned = Boolean(env.BREAKER_FAILURE_THRESHOLD);
  const openPinned = Boolean(env.BREAKER_HALF_OPEN_AFTER_MS);
  const live = createLiveConfig({
    service: basics.name,
    environment: config.CONFIG_ENVIRONMENT,
    schema: settingsSchema(own),
    client: config.CONFIG_SERVICE ? clients.get(config.CONFIG_SERVICE) : undefined,
    log: basics.log,
    cacheFile: config.CONFIG_CACHE_FILE,
    startWaitMs: config.CONFIG_WAIT_MS,
    watchMs: config.CONFIG_WATCH_MS,
    logLevel: { pinned: Boolean(env.LOG_LEVEL), base: config.LOG_LEVEL },
    pinned: [
      ...ownPinned,
      ...(thresholdPinned ? ['/breaker/failureThreshold'] : []),
      ...(openPinned ? ['/breaker/halfOpenAfterMs'] : []),
    ],
  });
  live.onChange((settings) =>
    clients.breakers.configure({
      ...(thresholdPinned ? {} : { failureThreshold: settings.breaker?.failureThreshold }),
      ...(openPinned ? {} : { halfOpenAfterMs: settings.breaker?.halfOpenAfterMs }),
    }),
  );
  live.onChange((settings) => {
    const { services, ...all } = settings.clients ?? {};
    // additionalProperties: TypeBox types the map as an object; the config server checked each entry.
    clients.tune(all, services as Record<string, ClientTuning> | undefined);
  });
  stack.defer('the settings watch', () => live.stop());
  return live;
}
