// The release controller as the gateway runs it: fed by the live `releases` setting, writing the canary
// analysis's decisions back to the config server with the gateway's own token (capability
// config:releases:write, which lets it change that setting and nothing else), counted in /metrics and
// shown at /_admin/releases.

import { Counter, Gauge } from 'prom-client';
import type { ServiceContext } from '@souk/chassis';
import type { ReleasesSetting } from './policy.ts';
import { createConfigWriter } from './config-writer.ts';
import { createReleaseController, type ReleaseController } from './controller.ts';

export function createGatewayReleases(ctx: ServiceContext<any>): ReleaseController {
  const configService = ctx.config.CONFIG_SERVICE as string | undefined;
  const decisions = new Counter({
    name: 'souk_gateway_canary_decisions_total',
    help: 'Decisions of the canary analysis: rollback, step (weight raised) and promote.',
    labelNames: ['service', 'decision'],
    registers: [ctx.metrics],
  });
  const writer =
    configService === undefined
      ? undefined
      : createConfigWriter({
          client: ctx.client(configService),
          environment: ctx.config.CONFIG_ENVIRONMENT as string | undefined,
          instanceId: ctx.instanceId,
          log: ctx.log,
        });

  const releases = createReleaseController({
    now: () => ctx.clock.now(),
    log: ctx.log,
    write: async (change) => {
      if (!writer) throw new Error('no config server (CONFIG_SERVICE): the decision holds on this instance only');
      await writer(change);
    },
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
