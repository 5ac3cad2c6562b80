// The release controller as the gateway runs it: fed by the live `releases` setting, writing the canary
// analysis's decisions back to the config server with the gateway's own token (capability
// config:releases:write, which lets it change that setting and nothing else), counted in /metrics and
// shown at /_admin/releases.

import { Counter, Gauge } from 'prom-client';
import {
  configPath,
  isSoukError,
  mergePatchFrom,
  type ConfigVersion,
  type ServiceClient,
  type ServiceContext,
} from '@souk/chassis';
import type { GatewaySettings } from '../settings.ts';
import type { ReleasesSetting } from './policy.ts';

type Releases = { releases?: ReleasesSetting };
import { createReleaseController, type ReleaseChange, type ReleaseController } from './controller.ts';

/** Reads and writes that lose a race with another writer are made again on the newer version. */
const WRITE_TRIES = 3;

export function createGatewayReleases(ctx: ServiceContext<any>): ReleaseController {
  const configService = ctx.config.CONFIG_SERVICE as string | undefined;
  const decisions = new Counter({
    name: 'souk_gateway_canary_decisions_total',
    help: 'Decisions of the canary analysis: rollback, step (weight raised) and promote.',
    labelNames: ['service', 'decision'],
    registers: [ctx.metrics],
  });

  const environment = ctx.config.CONFIG_ENVIRONMENT as string | undefined;
  const inEnvironment = environment === undefined ? {} : { environment };

  /**
   * The settings document to write for `change`: the base with the service's setting replaced; in an
   * environment, that environment's document with a merge patch turning the base's setting into the new one.
   */
  async function nextDocument(client: ServiceClient, seen: GatewaySettings, change: ReleaseChange): Promise<object> {
    if (environment === undefined) {
      const releases: ReleasesSetting = { ...(seen as Releases).releases };
      if (change.next === undefined) delete releases[change.service];
      else releases[change.service] = change.next;
      return { ...seen, releases };
    }
    const [base, own] = await Promise.all([
      client.request<ConfigVersion>({ method: 'GET', path: configPath('gateway'), auth: 'service' }),
      client.request<ConfigVersion>({
        method: 'GET',
        path: `${configPath('gateway')}/environments/${environment}`,
        auth: 'service',
      }),
    ]);
    const document = own.body.settings as Releases;
    const fromBase = (base.body.settings as Releases).releases?.[change.service];
    return {
      ...document,
      releases: { ...document.releases, [change.service]: mergePatchFrom(fromBase, change.next) },
    };
  }

  async function write(change: ReleaseChange): Promise<void> {
    if (configService === undefined)
      throw new Error('no config server (CONFIG_SERVICE): the decision holds on this instance only');
    const client = ctx.client(configService);
    for (let attempt = 1; attempt <= WRITE_TRIES; attempt++) {
      const now = (
        await client.request<ConfigVersion>({ method: 'GET', path: configPath('gateway'), query: inEnvironment, auth: 'service' })
      ).body;
      // Someone changed this service's release setting since the analysis decided: theirs stands.
      if (JSON.stringify((now.settings as Releases).releases?.[change.service] ?? null) !== change.from) {
        ctx.log.info({ service: change.service }, 'canary analysis: the release setting changed meanwhile; decision dropped');
        return;
      }
      try {
        const written = await client.request<ConfigVersion>({
          method: 'PUT',
          path: configPath('gateway'),
          query: inEnvironment,
          auth: 'service',
          body: {
            settings: await nextDocument(client, now.settings, change),
            reason: `canary analysis (${ctx.instanceId}): ${change.reason}`,
            // As the read showed it: a change made since (to the base or the environment's document) is a 409.
            basedOn: now.version,
          },
        });
        ctx.log.info(
          { service: change.service, version: written.body.version },
          'canary analysis: decision written to the config server',
        );
        return;
      } catch (err) {
        // Another gateway (or an admin) wrote first: read again and see whether the decision still applies.
        if (isSoukError(err) && err.code === 'SOUK_CONFIG_VERSION_CONFLICT' && attempt < WRITE_TRIES) continue;
        throw err;
      }
    }
  }

  const releases = createReleaseController({
    now: () => ctx.clock.now(),
    log: ctx.log,
    write,
    onDecision: (service, decision) => decisions.inc({ service, decision }),
  });
  new Gauge({
    name: 'souk_gateway_canary_weight',
    help: 'Percent of users each service’s canary takes, as this gateway routes them.',
    labelNames: ['service'],
    registers: [ctx.metrics],
    collect() {
      this.reset();
      for (const { service, plan } of releases.view()) this.set({ service }, plan.canary?.weight ?? 0);
    },
  });
  const releasesOf = (settings: object) => (settings as { releases?: ReleasesSetting }).releases;
  releases.configure(releasesOf(ctx.settings.current()));
  ctx.settings.onChange((settings) => releases.configure(releasesOf(settings)));
  ctx.app.get('/_admin/releases', { schema: { hide: true } }, async () => ({ services: releases.view() }));
  ctx.onClose(() => releases.close());
  return releases;
}
