// The notifications service: messages to users made from other services'
// events (choreography: nobody calls it to send one). Today: a welcome
// message for every UserRegistered from identity.

import { defineService } from '@souk/chassis';
import { UserRegistered } from '@souk/identity/contract';
import { migrations } from '../migrations/index.ts';
import type { NotificationsDatabase } from './db.ts';
import { registerNotificationRoutes } from './notifications/notification-routes.ts';
import { createNotificationStore } from './notifications/notification-store.ts';
import { welcomeOnRegistration } from './welcome/welcome-handler.ts';

export const notificationsService = defineService({
  name: 'notifications',
  version: '0.1.0',
  migrations,
  setup(ctx) {
    const db: NotificationsDatabase = ctx.db;
    ctx.events.subscribe(UserRegistered, welcomeOnRegistration({ now: () => ctx.clock.now() }));
    registerNotificationRoutes(ctx, createNotificationStore(db));
  },
});
