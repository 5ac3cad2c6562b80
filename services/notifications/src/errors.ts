// The notifications service's error codes; each is also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const errors = defineErrors({
  notFound: {
    code: 'SOUK_NOTIFICATIONS_NOT_FOUND',
    status: 404,
    title: 'Notification not found',
    description: 'The caller has no notification with this id (it does not exist or belongs to another user).',
  },
  cursorInvalid: {
    code: 'SOUK_NOTIFICATIONS_CURSOR_INVALID',
    status: 400,
    title: 'The paging cursor is not valid',
    description: '`before` must be the `nextBefore` value of a previous page, unchanged.',
  },
});
