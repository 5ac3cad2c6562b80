// Row types of identity's tables, for a typed Kysely over ctx.db.

import type { ColumnType } from 'kysely';
import type { ServiceDb } from '@souk/chassis';

type Timestamp = ColumnType<Date, Date, Date>;

export interface UserTable {
  id: string;
  /** Normalised: trimmed, lowercased. */
  email: string;
  name: string | null;
  /** PHC string: `$scrypt$ln=..,r=..,p=..$salt$hash`. */
  password_hash: string;
  roles: string[];
  created_at: ColumnType<Date, Date, never>;
  updated_at: Timestamp;
}

export interface SigningKeyTable {
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  alg: string;
  public_jwk: ColumnType<Record<string, unknown>, string, never>;
  /** The private JWK, AES-256-GCM encrypted under the key-encryption key. */
  private_jwk_sealed: string;
  created_at: ColumnType<Date, Date, never>;
}

export interface RefreshTokenTable {
  id: string;
  /** SHA-256 of the token (hex); the token itself is never stored. */
  token_hash: string;
  family_id: string;
  user_id: string;
  client_id: string;
  scope: string;
  created_at: ColumnType<Date, Date, never>;
  expires_at: Timestamp;
  rotated_at: Date | null;
  revoked_at: Date | null;
}

export interface OAuthClientTable {
  client_id: string;
  secret_hash: string;
  scopes: string[];
  created_at: ColumnType<Date, Date, never>;
  updated_at: Timestamp;
}

export interface LoginAttemptTable {
  /** Normalised email the attempts were made for (known account or not). */
  account: string;
  /** Recent failure times, oldest first. */
  failed_at: Date[];
  updated_at: Timestamp;
}

export interface IpLoginFailureTable {
  /** Client IP (an IPv6 address reduced to its /64). */
  ip: string;
  /** Recent failure times across accounts, oldest first. */
  failed_at: Date[];
  updated_at: Timestamp;
}

export interface IdentityDb {
  users: UserTable;
  signing_keys: SigningKeyTable;
  refresh_tokens: RefreshTokenTable;
  oauth_clients: OAuthClientTable;
  login_attempts: LoginAttemptTable;
  ip_login_failures: IpLoginFailureTable;
}

/** The service's database as its code sees it: these tables and the chassis' own. */
export type IdentityDatabase = ServiceDb<IdentityDb>;

/** PostgreSQL's unique_violation, raised when an insert hits a unique index. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}
