// Users in the database: create (unique email enforced by an index, so two
// racing sign-ups cannot both win), look up, and replace a password hash.

import { randomUUID } from 'node:crypto';
import { isUniqueViolation, type Db, type UserTable } from '../database.ts';
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
  return { id: row.id, email: row.email, name: row.name, passwordHash: row.password_hash, roles: row.roles, createdAt: row.created_at };
}

export function createUserStore(db: Db, newId: () => string = randomUUID) {
  const columns = ['id', 'email', 'name', 'password_hash', 'roles', 'created_at'] as const;
  return {
    /** Inserts a user; throws SOUK_IDENTITY_EMAIL_TAKEN when the email is in use. */
    async create(user: NewUser, now: Date): Promise<User> {
      try {
        const row = await db
          .insertInto('users')
          .values({
            id: newId(), email: user.email, name: user.name, password_hash: user.passwordHash,
            roles: [...user.roles], created_at: now, updated_at: now,
          })
          .returning(columns)
          .executeTakeFirstOrThrow();
        return toUser(row);
      } catch (err) {
        if (isUniqueViolation(err, 'users_email_key')) {
          throw errors.emailTaken({ detail: `An account for ${user.email} already exists.`, cause: err });
        }
        throw err;
      }
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
