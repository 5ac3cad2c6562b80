// The config server: versioned settings per service, checked against the schema each service publishes,
// watched live by long-poll, every change audited and any version restorable. Wired onto the chassis.

import { setMaxListeners } from 'node:events';
import { createNotifier, defineService } from '@souk/chassis';
import { migrations } from '../migrations/index.ts';
import { configAccess } from './access.ts';
import type { ConfigDb } from './db.ts';
import { registerConfigRoutes } from './routes.ts';
import { CONFIG_CHANNEL, createStore } from './store.ts';

export const configService = defineService<ConfigDb>()({
  name: 'config',
  version: '0.1.0',
  migrations,
  async setup(ctx) {
    const notifier = createNotifier({
      url: ctx.databaseUrl!,
      applicationName: ctx.instanceId,
      log: ctx.log,
      channels: [CONFIG_CHANNEL],
      purpose: 'config',
    });
    ctx.onClose(() => notifier.close());
    // Held watches answer as the server starts to close, so that draining does not wait for them.
    const closing = new AbortController();
    // One listener per held watch: one watch per instance of every service, well past Node's warning at 10.
    setMaxListeners(0, closing.signal);
    ctx.app.addHook('preClose', async () => closing.abort());
    const mtls = ctx.tls !== undefined;
    if (!mtls)
      ctx.log.warn('no TLS: any caller may read a service’s settings and publish its schema (changes still need an admin)');
    registerConfigRoutes(ctx.app, {
      store: createStore(ctx.db),
      access: configAccess(ctx.auth, { mtls }),
      notifier,
      closing: closing.signal,
    });
  },
});
