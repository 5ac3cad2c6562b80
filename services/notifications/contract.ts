// The notifications service's public contract: TypeBox schemas of its HTTP
// API, used by the routes for validation and OpenAPI. It publishes no events.

import { Type, type Static } from 'typebox';

export const API_PREFIX = '/api/v1/notifications';
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'UUID' });

/** What a notification is about. More kinds come with more events; clients should show unknown kinds plainly. */
export const NotificationKind = Type.Union([
  Type.Literal('welcome'),
  Type.Literal('sign-up-attempt'),
  Type.Literal('order-confirmed'),
  Type.Literal('order-cancelled'),
  Type.Literal('order-shipped'),
]);
export type NotificationKind = Static<typeof NotificationKind>;

export const Notification = Type.Object({
  id: Uuid,
  kind: NotificationKind,
  title: Type.String(),
  body: Type.String(),
  orderId: Type.Optional(
    Type.String({ pattern: UUID_PATTERN, description: 'The order an order message is about; absent on other kinds.' }),
  ),
  createdAt: Type.String({ format: 'date-time' }),
  readAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'When the user marked it read; null while unread.',
  }),
});
export type Notification = Static<typeof Notification>;

export const NotificationListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `Page size, default ${DEFAULT_LIMIT}.` })),
  before: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Cursor: the `nextBefore` of the previous page; returns the notifications older than its last item.',
    }),
  ),
});
export type NotificationListQuery = Static<typeof NotificationListQuery>;

export const NotificationList = Type.Object({
  /** The caller's notifications, newest first. */
  items: Type.Array(Notification),
  nextBefore: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as `before` for the next page; null on the last page.',
  }),
});
export type NotificationList = Static<typeof NotificationList>;

export const NotificationParams = Type.Object({ id: Uuid });
export type NotificationParams = Static<typeof NotificationParams>;
