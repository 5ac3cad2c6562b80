// How the canary analysis's decisions reach the config server: read the gateway's settings as this
// gateway sees them, drop the decision when the service's release setting changed since the analysis
// decided (someone else's stands), else write the new document on top of the version read (`basedOn`),
// reading again after a 409. In an environment (CONFIG_ENVIRONMENT) the decision goes into that
// environment's document, as a merge patch over the base's setting.

import { configPath, isSoukError, mergePatchFrom, type ConfigVersion, type Logger, type ServiceClient } from '@souk/chassis';
import type { ReleaseChange } from './controller.ts';
import type { ReleasesSetting } from './policy.ts';

/** Reads and writes that lose a race with another writer are made again on the newer version. */
export const WRITE_TRIES = 3;

type Releases = { releases?: ReleasesSetting };

export interface ConfigWriterOptions {
  client: Pick<ServiceClient, 'request'>;
  /** CONFIG_ENVIRONMENT: whose document the decisions go into; undefined: the base. */
  environment: string | undefined;
  /** Named in the audit's reason. */
  instanceId: string;
  log: Pick<Logger, 'info'>;
}

export type WriteOutcome = 'written' | 'dropped';

export function createConfigWriter(o: ConfigWriterOptions): (change: ReleaseChange) => Promise<WriteOutcome> {
  const path = configPath('gateway');
  const inEnvironment: Record<string, string> = o.environment === undefined ? {} : { environment: o.environment };
  const read = async (at: string, query: Record<string, string> = {}) =>
    (await o.client.request<ConfigVersion>({ method: 'GET', path: at, query, auth: 'service' })).body;

  /** The document to write: the base with the service's setting replaced, or the environment's with a patch. */
  async function nextDocument(seen: Releases, change: ReleaseChange): Promise<object> {
    if (o.environment === undefined) {
      const releases: ReleasesSetting = { ...seen.releases };
      if (change.next === undefined) delete releases[change.service];
      else releases[change.service] = change.next;
      return { ...seen, releases };
    }
    const [base, own] = await Promise.all([read(path), read(`${path}/environments/${o.environment}`)]);
    const document = own.settings as Releases;
    const fromBase = (base.settings as Releases).releases?.[change.service];
    return { ...document, releases: { ...document.releases, [change.service]: mergePatchFrom(fromBase, change.next) } };
  }

  return async (change) => {
    for (let attempt = 1; ; attempt++) {
      const now = await read(path, inEnvironment);
      const settings = now.settings as Releases;
      if (JSON.stringify(settings.releases?.[change.service] ?? null) !== change.from) {
        o.log.info({ service: change.service }, 'canary analysis: the release setting changed meanwhile; decision dropped');
        return 'dropped';
      }
      try {
        const written = await o.client.request<ConfigVersion>({
          method: 'PUT',
          path,
          query: inEnvironment,
          auth: 'service',
          body: {
            settings: await nextDocument(settings, change),
            reason: `canary analysis (${o.instanceId}): ${change.reason}`,
            // As the read showed it: a change made since (to the base or the environment's document) is a 409.
            basedOn: now.version,
          },
        });
        o.log.info(
          { service: change.service, version: written.body.version },
          'canary analysis: decision written to the config server',
        );
        return 'written';
      } catch (err) {
        // Another gateway (or an admin) wrote first: read again and see whether the decision still applies.
        if (isSoukError(err) && err.code === 'SOUK_CONFIG_VERSION_CONFLICT' && attempt < WRITE_TRIES) continue;
        throw err;
      }
    }
  };
}
