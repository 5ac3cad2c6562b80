// Creates the admin account at start when IDENTITY_ADMIN_EMAIL and
// IDENTITY_ADMIN_PASSWORD_FILE are set and no account has that email yet.

import type { Logger } from '@souk/chassis';
import { errors } from '../errors.ts';
import { hashPassword, type ScryptParams } from './password-hash.ts';
import { checkPassword } from './password-policy.ts';
import type { UserStore } from './user-store.ts';

export interface AdminBootstrapDeps {
  users: UserStore;
  now: () => number;
  scrypt: ScryptParams;
  log: Logger;
}

export type AdminBootstrapOutcome = 'created' | 'exists' | 'exists_without_admin_role';

export async function bootstrapAdmin(
  admin: { email: string; password: string },
  deps: AdminBootstrapDeps,
): Promise<AdminBootstrapOutcome> {
  const verdict = checkPassword(admin.password, admin.email);
  if (!verdict.ok) {
    throw new Error(
      `IDENTITY_ADMIN_PASSWORD_FILE: the admin password breaks the policy: ${verdict.reasons.map((r) => r.message).join(' ')}`,
    );
  }
  const existing = await deps.users.findByEmail(admin.email);
  if (existing) return outcomeFor(existing.roles, admin.email, deps.log);
  try {
    const user = await deps.users.create(
      {
        email: admin.email,
        name: 'Administrator',
        passwordHash: await hashPassword(admin.password, deps.scrypt),
        roles: ['admin'],
      },
      new Date(deps.now()),
    );
    deps.log.info({ userId: user.id, email: user.email }, 'admin account created');
    return 'created';
  } catch (err) {
    // Another instance starting at the same moment created it first.
    if (!errors.emailTaken.is(err)) throw err;
    const user = await deps.users.findByEmail(admin.email);
    return outcomeFor(user?.roles ?? [], admin.email, deps.log);
  }
}

function outcomeFor(roles: readonly string[], email: string, log: Logger): AdminBootstrapOutcome {
  if (roles.includes('admin')) return 'exists';
  // Never promote an existing account: whoever signed up first with this
  // address would otherwise become admin. An operator has to sort it out.
  log.warn({ email }, 'IDENTITY_ADMIN_EMAIL names an existing account without the admin role; it was left unchanged');
  return 'exists_without_admin_role';
}
