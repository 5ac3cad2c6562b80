// The console's backend: a stateless service (no database) between the console in the browser and the
// platform. It lists the instances the registry knows beside the processes the devhost runs, reads each
// one's health and breakers on its admin listener, asks the devhost to kill, pause, resume or restart one,
// and gathers sagas, event status, dead letters and schemas from the services that hold them. Every route
// needs the admin role; the admin's own token goes on to the services, which check it again.

import { defineService } from '@souk/chassis';
import { createAdminClient } from './admin-client.ts';
import { ConsoleConfig } from './config.ts';
import { createDevhostControl } from './devhost-control.ts';
import { registerConsoleRoutes } from './routes.ts';

export const consoleService = defineService()({
  name: 'console',
  version: '0.1.0',
  config: ConsoleConfig,
  async setup(ctx) {
    const timeoutMs = ctx.config.CONSOLE_ADMIN_TIMEOUT_MS;
    const admin = createAdminClient({ discovery: ctx.discovery, tls: ctx.tls, timeoutMs });
    const controlUrl = ctx.config.DEVHOST_CONTROL_URL;
    const control = controlUrl ? createDevhostControl(controlUrl, ctx.tls, timeoutMs) : undefined;
    registerConsoleRoutes(ctx.app, {
      auth: ctx.auth,
      discovery: ctx.discovery,
      admin,
      control,
      schemaRegistry: ctx.client('schema-registry'),
    });
    ctx.onClose(async () => {
      await admin.close();
      await control?.close();
    });
  },
});
