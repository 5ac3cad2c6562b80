// The notifications service: messages to users made from other services'
// events (choreography: nobody calls it to send one): a welcome for every
// UserRegistered, a warning to an account's owner on SignUpAttempted (someone
// signed up with their email), and order messages on OrderConfirmed,
// OrderCancelled and OrderShipped.

import { defineService } from '@souk/chassis';
import { SignUpAttempted, UserRegistered } from '@souk/identity/contract';
import { OrderCancelled, OrderConfirmed } from '@souk/orders/contract';
import { OrderShipped } from '@souk/shipping/contract';
import { migrations } from '../migrations/index.ts';
import type { NotificationsDb } from './db.ts';
import { registerNotificationRoutes } from './notifications/notification-routes.ts';
import { createNotificationStore } from './notifications/notification-store.ts';
import { orderMessageHandlers } from './orders/order-handlers.ts';
import { signUpAttemptWarning, welcomeOnRegistration } from './welcome/welcome-handlers.ts';

export const notificationsService = defineService<NotificationsDb>()({
  name: 'notifications',
  version: '0.1.0',
  migrations,
  setup(ctx) {
    const { db } = ctx;
    const now = () => ctx.clock.now();
    ctx.events.subscribe(UserRegistered, welcomeOnRegistration({ now }));
    ctx.events.subscribe(SignUpAttempted, signUpAttemptWarning({ now }));
    const orders = orderMessageHandlers({ now });
    ctx.events.subscribe(OrderConfirmed, orders.confirmed);
    ctx.events.subscribe(OrderCancelled, orders.cancelled);
    ctx.events.subscribe(OrderShipped, orders.shipped);
    registerNotificationRoutes(ctx, createNotificationStore(db));
  },
});
