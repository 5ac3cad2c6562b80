// HTTP routes of a user's notifications: the list, newest first, and marking
// one read. Every route is the caller's own: the token's subject is the user.

import { userIdOf, type Identity, type ServiceContext } from '@souk/chassis';
import {
  API_PREFIX,
  DEFAULT_LIMIT,
  Notification,
  NotificationList,
  NotificationListQuery,
  NotificationParams,
} from '../../contract.ts';
import { errors } from '../errors.ts';
import { positionBefore } from './cursor.ts';
import type { NotificationStore } from './notification-store.ts';

const userOf = (identity: Identity | undefined) => userIdOf(identity, 'Notifications belong to users');

export function registerNotificationRoutes(ctx: ServiceContext, store: NotificationStore): void {
  const { app } = ctx;
  // onRequest: the caller is checked before the input, so an anonymous bad request is a 401.
  const user = ctx.auth.required();
  const tags = ['notifications'];

  app.get(
    API_PREFIX,
    {
      onRequest: user,
      schema: {
        summary: "The caller's notifications, newest first",
        tags,
        querystring: NotificationListQuery,
        response: { 200: NotificationList },
      },
    },
    async (request) => {
      const userId = userOf(request.identity);
      const { limit = DEFAULT_LIMIT, before } = request.query;
      const position = positionBefore(before);
      return store.list(userId, { limit, ...(position ? { before: position } : {}) });
    },
  );

  app.post(
    `${API_PREFIX}/:id/read`,
    {
      onRequest: user,
      schema: { summary: 'Mark a notification read', tags, params: NotificationParams, response: { 200: Notification } },
    },
    async (request) => {
      const userId = userOf(request.identity);
      const notification = await store.markRead(userId, request.params.id, new Date(ctx.clock.now()));
      // Someone else's notification is "not found" too: its existence is none of the caller's business.
      if (!notification)
        throw errors.notFound({
          detail: `You have no notification ${request.params.id}.`,
          extensions: { id: request.params.id },
        });
      return notification;
    },
  );
}
