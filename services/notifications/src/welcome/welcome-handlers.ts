// Turns identity's UserRegistered into the new user's welcome message, and
// SignUpAttempted into a warning to the account's owner. Runs in the event's
// inbox transaction, so the message and "handled" commit together.

import type { EventHandler } from '@souk/chassis';
import type { SignUpAttempted, UserRegistered } from '@souk/identity/contract';
import type { NotificationsDb } from '../db.ts';
import { recordNotification } from '../notifications/notification-store.ts';
import { signUpAttemptMessage, welcomeMessage } from './welcome-message.ts';

export function welcomeOnRegistration(deps: { now(): number }): EventHandler<UserRegistered, NotificationsDb> {
  return async (event, { db, log }) => {
    const { userId, email, name } = event.data;
    const recorded = await recordNotification(db, {
      userId,
      kind: 'welcome',
      ...welcomeMessage({ name, email }),
      event: { source: event.source, id: event.id },
      createdAt: new Date(deps.now()),
    });
    // The inbox skips redeliveries; reaching this means the same user came with another event id.
    if (!recorded) log.info({ userId }, 'welcome message already recorded; nothing added');
  };
}

export function signUpAttemptWarning(deps: { now(): number }): EventHandler<SignUpAttempted, NotificationsDb> {
  return async (event, { db }) => {
    const { userId, email, attemptedAt } = event.data;
    // One message per attempt: the unique (event source, id, kind) makes a redelivery add nothing.
    await recordNotification(db, {
      userId,
      kind: 'sign-up-attempt',
      ...signUpAttemptMessage({ email, attemptedAt }),
      event: { source: event.source, id: event.id },
      createdAt: new Date(deps.now()),
    });
  };
}
