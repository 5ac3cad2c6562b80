// The live settings of an instance: from the config server named by CONFIG_SERVICE (read at start,
// watched once the instance serves), or none. LOG_LEVEL set in the environment pins the log level.

import type { TObject } from 'typebox';
import type { Env } from '../config.ts';
import { createLiveConfig, type LiveConfig } from '../live-config/live-config.ts';
import { settingsSchema } from '../live-config/contract.ts';
import type { ServiceClient } from '../client/types.ts';
import type { Basics } from './basics.ts';
import type { ResourceStack } from './resource-stack.ts';

export function createServiceSettings(
  basics: Basics<unknown>,
  own: TObject | undefined,
  clients: { get(service: string): ServiceClient },
  env: Env,
  stack: ResourceStack,
): LiveConfig {
  const { config } = basics;
  const live = createLiveConfig({
    service: basics.name,
    schema: settingsSchema(own),
    client: config.CONFIG_SERVICE ? clients.get(config.CONFIG_SERVICE) : undefined,
    log: basics.log,
    cacheFile: config.CONFIG_CACHE_FILE,
    startWaitMs: config.CONFIG_WAIT_MS,
    watchMs: config.CONFIG_WATCH_MS,
    logLevel: { pinned: Boolean(env.LOG_LEVEL), base: config.LOG_LEVEL },
  });
  stack.defer('the settings watch', () => live.stop());
  return live;
}
