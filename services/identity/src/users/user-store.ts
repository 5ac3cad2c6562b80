// Users in the database: create (unique email enforced by an index, so two
// racing sign-ups cannot both win; UserRegistered written to the outbox in
// the same transaction), look up, and replace a password hash.

import { randomUUID } from 'node:crypto';
import type { Events } from '@souk/chassis';
import { SignUpAttempted, UserRegistered } from '../../contract.ts';
import { isUniqueViolation, type IdentityDatabase, type UserTable } from '../db.ts';
import { errors } from '../errors.ts';

export const ROLES = ['customer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: string;
  email: string;
  name: string | null;
  passwordHash: string;
  roles: string[];
  createdAt: Date;
}

export interface NewUser {
  email: string;
  name: string | null;
  passwordHash: string;
  roles: readonly Role[];
}

function toUser(row: Pick<UserTable, 'id' | 'email' | 'name' | 'password_hash' | 'roles'> & { created_at: Date }): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    passwordHash: row.password_hash,
    roles: row.roles,
    createdAt: row.created_at,
  };
}

export interface UserStoreDeps {
  /** The chassis outbox (`ctx.events`); every created user is announced through it. */
  events: Pick<Events, 'publish'>;
  newId?: () => string;
}

export function createUserStore(db: IdentityDatabase, deps: UserStoreDeps) {
  const newId = deps.newId ?? randomUUID;
  const columns = ['id', 'email', 'name', 'password_hash', 'roles', 'created_at'] as const;
  return {
    /**
     * Inserts a user and publishes UserRegistered in one transaction: a user
     * nobody heard of, or an event about a user who does not exist, cannot
     * happen. Throws SOUK_IDENTITY_EMAIL_TAKEN when the email is in use.
     */
    async create(user: NewUser, now: Date): Promise<User> {
      try {
        return await db.transaction().execute(async (trx) => {
          const row = await trx
            .insertInto('users')
            .values({
              id: newId(),
              email: user.email,
              name: user.name,
              password_hash: user.passwordHash,
              roles: [...user.roles],
              created_at: now,
              updated_at: now,
            })
            .returning(columns)
            .executeTakeFirstOrThrow();
          const created = toUser(row);
          await deps.events.publish(
            trx,
            UserRegistered,
            {
              userId: created.id,
              email: created.email,
              name: created.name,
              roles: created.roles,
              registeredAt: created.createdAt.toISOString(),
            },
            { subject: created.id, time: created.createdAt },
          );
          return created;
        });
      } catch (err) {
        if (isUniqueViolation(err, 'users_email_key')) {
          throw errors.emailTaken({ detail: `An account for ${user.email} already exists.`, cause: err });
        }
        throw err;
      }
    },

    /**
     * A sign-up: creates the user (publishing UserRegistered), or, when the
     * email already has an account, publishes SignUpAttempted for its owner
     * instead. Either way one event is written, in one transaction.
     */
    async register(user: NewUser, now: Date): Promise<{ outcome: 'created' | 'existing'; userId: string }> {
      try {
        return { outcome: 'created', userId: (await this.create(user, now)).id };
      } catch (err) {
        if (!errors.emailTaken.is(err)) throw err;
      }
      return db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('users').select('id').where('email', '=', user.email).executeTakeFirstOrThrow();
        await deps.events.publish(
          trx,
          SignUpAttempted,
          { userId: existing.id, email: user.email, attemptedAt: now.toISOString() },
          { subject: existing.id, time: now },
        );
        return { outcome: 'existing' as const, userId: existing.id };
      });
    },

    async findByEmail(email: string): Promise<User | undefined> {
      const row = await db.selectFrom('users').select(columns).where('email', '=', email).executeTakeFirst();
      return row && toUser(row);
    },

    async findById(id: string): Promise<User | undefined> {
      const row = await db.selectFrom('users').select(columns).where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },

    /** Replaces the hash (after a login with outdated scrypt parameters). */
    async updatePasswordHash(id: string, passwordHash: string, now: Date): Promise<void> {
      await db.updateTable('users').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', id).execute();
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
