// The release controller as the gateway runs it: fed by the live `releases` setting, writing the canary
// analysis's decisions back to the config server with the gateway's own token (capability
// config:releases:write, which lets it change that setting and nothing else), counted in /metrics and
// shown at /_admin/releases.

import { Counter, Gauge } from 'prom-client';
import { configPath, isSoukError, type ConfigVersion, type ServiceContext } from '@souk/chassis';
import type { GatewaySettings } from '../settings.ts';
import type { ReleasesSetting } from './policy.ts';
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

  async function write(change: ReleaseChange): Promise<void> {
    if (configService === undefined)
      throw new Error('no config server (CONFIG_SERVICE): the decision holds on this instance only');
    const client = ctx.client(configService);
    for (let attempt = 1; attempt <= WRITE_TRIES; attempt++) {
      const now = (await client.request<ConfigVersion>({ method: 'GET', path: configPath('gateway'), auth: 'service' })).body;
      const settings = now.settings as GatewaySettings & { releases?: ReleasesSetting };
      // Someone changed this service's release setting since the analysis decided: theirs stands.
      if (JSON.stringify(settings.releases?.[change.service] ?? null) !== change.from) {
        ctx.log.info({ service: change.service }, 'canary analysis: the release setting changed meanwhile; decision dropped');
        return;
      }
      const releases: ReleasesSetting = { ...settings.releases };
      if (change.next === undefined) delete releases[change.service];
      else releases[change.service] = change.next;
      try {
        const written = await client.request<ConfigVersion>({
          method: 'PUT',
          path: configPath('gateway'),
          auth: 'service',
          body: {
            settings: { ...settings, releases },
            reason: `canary analysis (${ctx.instanceId}): ${change.reason}`,
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
