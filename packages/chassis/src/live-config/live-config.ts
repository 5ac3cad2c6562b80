// A service's settings from the config server (platform/config), applied live (in CONFIG_ENVIRONMENT, its
// base document with that environment's merged over it; the config server merges). At start the service
// publishes the schema of its settings, reads the version in effect and applies it; then it watches for
// the next version (a long poll the config server answers when a change commits) and applies each as it
// comes. A version that does not pass the schema here is not applied: the last good one stays. Each
// version is kept in CONFIG_CACHE_FILE, and a start that cannot reach the config server within
// CONFIG_WAIT_MS starts from that copy (or from no settings) and goes on trying.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger, LevelWithSilent } from 'pino';
import type { TObject } from 'typebox';
import { Value } from 'typebox/value';
import { backoffDelay, type Backoff } from '../backoff.ts';
import type { ServiceClient } from '../client/types.ts';
import { pause } from '../events/pause.ts';
import { configPath, type CommonSettings, type ConfigVersion } from './contract.ts';

/** Where the settings in effect came from. */
export type SettingsSource = 'config server' | 'cache' | 'none';

export interface SettingsSnapshot {
  /** CONFIG_ENVIRONMENT: whose document the config server merged over the base. */
  environment?: string;
  version: number;
  source: SettingsSource;
  settings: Record<string, unknown>;
  /** Settings the environment pins (the config server's value is not applied). */
  pinnedByEnvironment: string[];
  /** When the settings in effect were applied (ISO time). */
  appliedAt?: string;
}

export interface LiveSettings<S = Record<string, unknown>> {
  /** The settings in effect (an empty object when none were ever set). */
  current(): Readonly<S & CommonSettings>;
  /** A feature flag: on, off, or `fallback` when nobody set it. */
  flag(name: string, fallback?: boolean): boolean;
  /** Calls `fn` after each new version is applied; returns the unsubscribe. */
  onChange(fn: (settings: Readonly<S & CommonSettings>, version: number) => void): () => void;
  snapshot(): SettingsSnapshot;
}

export interface LiveConfigOptions {
  service: string;
  /** The environment whose document the config server merges over the service's base (CONFIG_ENVIRONMENT). */
  environment?: string | undefined;
  /** The settings' schema (the common ones and the service's own: `settingsSchema(own)`). */
  schema: TObject;
  /** The config server's client; undefined: no config server, the settings stay empty. */
  client: ServiceClient | undefined;
  log: Logger;
  cacheFile?: string | undefined;
  /** How long the start waits for the config server before it takes the cached copy. */
  startWaitMs: number;
  /** How long one watch is held by the config server. */
  watchMs: number;
  /** LOG_LEVEL as the environment set it (it then wins), and the level to return to when a version drops logLevel. */
  logLevel: { pinned: boolean; base: LevelWithSilent };
  /** Other settings the environment pins (JSON Pointers), for the snapshot: whoever applies them leaves them out. */
  pinned?: readonly string[];
}

/** Retries of the publish, the first read and the watch: 200 ms doubling to 15 s. */
const RETRY: Backoff = { curve: 'exponential', baseMs: 200, capMs: 15_000 };

export interface LiveConfig<S = Record<string, unknown>> extends LiveSettings<S> {
  /** Publishes the schema and applies the first settings (the config server's, or the cached copy). */
  start(): Promise<void>;
  /** Watches for new versions until `stop()`. */
  watch(): void;
  stop(): Promise<void>;
}

export function createLiveConfig<S = Record<string, unknown>>(options: LiveConfigOptions): LiveConfig<S> {
  const { log, client } = options;
  const stopped = new AbortController();
  const listeners = new Set<(settings: Readonly<S & CommonSettings>, version: number) => void>();
  let state: { version: number; source: SettingsSource; settings: Record<string, unknown>; appliedAt?: string } = {
    version: 0,
    source: 'none',
    settings: {},
  };
  let watching: Promise<void> | undefined;
  /** Whether the schema reached the config server (a start that gave up publishes it from the watch). */
  let published = false;
  /** The newest version the config server answered with, applied or refused; the watch waits for the next. */
  let seen: number | undefined;
  const pinned = [...(options.logLevel.pinned ? ['/logLevel'] : []), ...(options.pinned ?? [])];
  const path_ = configPath(options.service);

  function apply(version: ConfigVersion, source: SettingsSource): boolean {
    if (!Value.Check(options.schema, version.settings)) {
      const problems = [...Value.Errors(options.schema, version.settings)].map((e) => `${e.instancePath || '/'} ${e.message}`);
      log.error(
        { version: version.version, problems },
        'settings refused: they do not match this release’s schema; the last good ones stay',
      );
      return false;
    }
    const settings = version.settings as Record<string, unknown> & CommonSettings;
    const previous = state.settings as CommonSettings;
    state = { version: version.version, source, settings, appliedAt: new Date().toISOString() };
    if (settings.logLevel !== previous.logLevel) {
      if (options.logLevel.pinned) {
        if (settings.logLevel)
          log.warn({ logLevel: settings.logLevel }, 'LOG_LEVEL in the environment overrides logLevel from the config server');
      } else {
        log.level = settings.logLevel ?? options.logLevel.base;
      }
    }
    log.info({ version: version.version, source, settings }, 'settings applied');
    for (const fn of listeners) {
      try {
        fn(settings as Readonly<S & CommonSettings>, version.version);
      } catch (err) {
        log.error({ err }, 'a settings listener failed');
      }
    }
    return true;
  }

  function writeCache(version: ConfigVersion): void {
    if (!options.cacheFile) return;
    try {
      mkdirSync(path.dirname(options.cacheFile), { recursive: true });
      const tmp = `${options.cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(version), { mode: 0o600 });
      renameSync(tmp, options.cacheFile);
    } catch (err) {
      log.warn({ err, file: options.cacheFile }, 'could not keep a copy of the settings');
    }
  }

  function readCache(): ConfigVersion | undefined {
    if (!options.cacheFile) return undefined;
    try {
      const cached = JSON.parse(readFileSync(options.cacheFile, 'utf8')) as ConfigVersion;
      // A copy of another environment's settings is not this one's.
      return cached.service === options.service &&
        cached.environment === options.environment &&
        typeof cached.version === 'number'
        ? cached
        : undefined;
    } catch {
      return undefined;
    }
  }

  async function fetchVersion(after: number | undefined, waitMs: number, timeoutMs: number): Promise<ConfigVersion> {
    const res = await client!.request<ConfigVersion>({
      method: 'GET',
      path: path_,
      query: {
        ...(after === undefined ? {} : { after }),
        ...(options.environment === undefined ? {} : { environment: options.environment }),
        waitMs,
      },
      timeoutMs,
      signal: stopped.signal,
    });
    return res.body;
  }

  async function publish(): Promise<void> {
    await client!.request({ method: 'PUT', path: `${path_}/schema`, body: { schema: options.schema }, signal: stopped.signal });
    published = true;
  }

  /** Runs `attempt` until it succeeds or `deadline` passes (then rethrows); 4xx errors are not retried. */
  async function untilDeadline<T>(what: string, deadline: number, attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        const status = (err as { status?: number }).status;
        if ((status !== undefined && status < 500) || Date.now() >= deadline || stopped.signal.aborted) throw err;
        if (n === 1) log.warn({ err }, `${what}: the config server is not reachable yet; retrying`);
        await pause(Math.min(backoffDelay(RETRY, n), Math.max(0, deadline - Date.now())), stopped.signal);
      }
    }
  }

  const live: LiveConfig<S> = {
    current: () => state.settings as Readonly<S & CommonSettings>,
    flag: (name, fallback = false) => (state.settings.flags as Record<string, boolean> | undefined)?.[name] ?? fallback,
    onChange(fn) {
      listeners.add(fn);
      return () => void listeners.delete(fn);
    },
    snapshot: () => ({
      ...(options.environment === undefined ? {} : { environment: options.environment }),
      ...state,
      pinnedByEnvironment: pinned,
    }),

    async start() {
      if (!client) return;
      const deadline = Date.now() + options.startWaitMs;
      try {
        await untilDeadline('publishing the settings schema', deadline, publish);
        const first = await untilDeadline('reading the settings', deadline, () => fetchVersion(undefined, 0, 5_000));
        seen = first.version;
        if (apply(first, 'config server')) writeCache(first);
      } catch (err) {
        // Refused (a 4xx: the schema, or who we are) is not the same trouble as unreachable: say which.
        const status = (err as { status?: number }).status;
        const why =
          status !== undefined && status < 500 ? `the config server refused us (${status})` : 'config server unreachable';
        const cached = readCache();
        if (cached && apply(cached, 'cache')) {
          log.warn({ err, version: cached.version }, `${why}: started from the cached settings`);
        } else {
          log.warn({ err }, `${why} and no cached settings: started without settings`);
        }
      }
    },

    watch() {
      if (!client || watching) return;
      watching = (async () => {
        let failures = 0;
        while (!stopped.signal.aborted) {
          try {
            // A start that gave up publishes the schema here first: without it no admin can set anything.
            if (!published) await publish();
            const next = await fetchVersion(seen, options.watchMs, options.watchMs + 10_000);
            failures = 0;
            if (next.version !== seen) {
              seen = next.version;
              if (apply(next, 'config server')) writeCache(next);
            }
          } catch (err) {
            if (stopped.signal.aborted) return;
            failures++;
            if (failures === 1) log.warn({ err }, 'watching the settings failed; keeping the last good ones and retrying');
            await pause(backoffDelay(RETRY, failures), stopped.signal);
          }
        }
      })();
    },

    async stop() {
      stopped.abort();
      await watching;
    },
  };
  return live;
}
