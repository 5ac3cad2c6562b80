// The config server's API as its clients see it (platform/config serves it, the chassis's live config
// reads it), and the settings every service takes live. One place, so both sides agree on the wire.

import { Type, type Static, type TObject } from 'typebox';

/** Where a service's settings live at the config server. */
export const configPath = (service: string) => `/api/v1/config/services/${encodeURIComponent(service)}`;
/**
 * The one setting a service may change by itself: the gateway's `releases` (its canary analysis rolls back
 * and promotes), with the capability `config:releases:write`. Everything else needs an admin.
 */
export const RELEASES_SETTING = { service: 'gateway', pointer: '/releases' } as const;
/** The longest a client may hold a watch (`waitMs`). */
export const CONFIG_MAX_WAIT_MS = 60_000;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const ClientTuningSetting = Type.Object(
  {
    attempts: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10, description: 'Attempts per call, the first included (1: no retry).' }),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 10, maximum: 120_000, description: 'Per attempt, when the call sets none.' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The settings the chassis applies live in every service: the log level, and feature flags a service reads
 * with `ctx.settings.flag(name)`. A service adds its own with `settings` in its definition. Unknown names are
 * refused, so a typo is a 422 at the config server rather than a setting nobody reads.
 */
export const CommonSettings = Type.Object(
  {
    logLevel: Type.Optional(
      Type.Enum([...LOG_LEVELS], {
        description: 'The level of the service log from now on (LOG_LEVEL in the environment overrides it).',
      }),
    ),
    breaker: Type.Optional(
      Type.Object(
        {
          failureThreshold: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 1000, description: 'Consecutive failures that open a circuit to an instance.' }),
          ),
          halfOpenAfterMs: Type.Optional(
            Type.Integer({ minimum: 100, maximum: 600_000, description: 'How long an open circuit waits before its probe.' }),
          ),
        },
        {
          additionalProperties: false,
          description: 'The circuit breakers of every outgoing call (BREAKER_* in the environment override).',
        },
      ),
    ),
    clients: Type.Optional(
      Type.Object(
        {
          ...ClientTuningSetting.properties,
          services: Type.Optional(
            Type.Object(
              {},
              { additionalProperties: ClientTuningSetting, description: 'By called service: over the settings for all.' },
            ),
          ),
        },
        {
          additionalProperties: false,
          description:
            'Outgoing calls: attempts (retries with backoff and jitter) and the timeout of an attempt when the caller sets none; a call that sets its own timeout keeps it.',
        },
      ),
    ),
    faults: Type.Optional(
      Type.Object(
        {
          errorRate: Type.Optional(
            Type.Number({
              minimum: 0,
              maximum: 1,
              description: 'The share of API requests answered 503 SOUK_FAULT_INJECTED instead (0.3: three in ten).',
            }),
          ),
          delayMs: Type.Optional(
            Type.Integer({ minimum: 0, maximum: 30_000, description: 'Added before each API request is handled.' }),
          ),
          releases: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 31 }), {
              maxItems: 10,
              description: 'Only instances of these releases (SERVICE_RELEASE) inject; absent: every instance.',
            }),
          ),
          instances: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
              maxItems: 20,
              description: 'Only these instances (INSTANCE_ID) inject; absent: every instance.',
            }),
          ),
          paths: Type.Optional(
            Type.Array(Type.String({ minLength: 5, maxLength: 200 }), {
              maxItems: 20,
              description:
                'Only requests whose path starts with one of these (/api/v1/recommendations/bestsellers); absent: every /api/ path.',
            }),
          ),
          events: Type.Optional(
            Type.Array(Type.String({ minLength: 3, maxLength: 200 }), {
              maxItems: 20,
              description:
                'Event types (souk.orders.OrderConfirmed) whose every handling here fails with SOUK_FAULT_INJECTED: redelivered with backoff, then dead-lettered after EVENTS_MAX_ATTEMPTS, as a handler whose dependency is down would be. A redrive fails too until the type is taken out.',
            }),
          ),
        },
        {
          additionalProperties: false,
          description:
            'Fault injection for chaos experiments and canary drills: errors and latency on /api/ requests (health, metrics, admin and event feeds are spared), and failing event handlers.',
        },
      ),
    ),
    flags: Type.Optional(
      // additionalProperties rather than a Record: the config server accepts no `pattern` in a settings schema.
      Type.Object({}, { additionalProperties: Type.Boolean(), description: 'Feature flags by name: on or off.' }),
    ),
  },
  { additionalProperties: false },
);
export type CommonSettings = Static<typeof CommonSettings>;

/** The settings schema of a service: the common ones and its own, none unknown. */
export function settingsSchema(own: TObject | undefined): TObject {
  return Type.Object({ ...CommonSettings.properties, ...(own?.properties ?? {}) }, { additionalProperties: false });
}

/** PUT …/schema: the service publishes the JSON Schema its settings must satisfy. */
export const PublishSchemaBody = Type.Object({
  schema: Type.Object({}, { additionalProperties: true, description: 'A JSON Schema (draft 7) of an object.' }),
});

/**
 * An environment's name (`?environment=staging`): its document applies over the service's base document as
 * a JSON Merge Patch. Without one, the base document alone.
 */
export const ENVIRONMENT_NAME = '^[a-z][a-z0-9-]{0,30}$';

/** A version of a service's settings. Version 0: nothing was ever set (an empty document). */
export const ConfigVersion = Type.Object({
  service: Type.String(),
  /**
   * For an environment: the base version plus the environment document's, so it grows with either; the
   * settings are the base with the environment's merged over it.
   */
  version: Type.Integer({ minimum: 0 }),
  environment: Type.Optional(Type.String()),
  /** For an environment: the version of each of the two documents in effect. */
  layers: Type.Optional(Type.Object({ base: Type.Integer({ minimum: 0 }), environment: Type.Integer({ minimum: 0 }) })),
  settings: Type.Object({}, { additionalProperties: true }),
  /** Who set it (the subject of the token), when, and why. Absent for version 0. */
  author: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  createdAt: Type.Optional(Type.String({ format: 'date-time' })),
  /** Set when this version restored an earlier one. */
  rollbackOf: Type.Optional(Type.Integer({ minimum: 1 })),
});
export type ConfigVersion = Static<typeof ConfigVersion>;

/** PUT …/services/:service: a new version. `basedOn` (or If-Match) refuses it when someone changed it since. */
export const ChangeBody = Type.Object({
  settings: Type.Object({}, { additionalProperties: true }),
  reason: Type.String({ minLength: 1, maxLength: 500, description: 'Why: kept in the audit.' }),
  basedOn: Type.Optional(Type.Integer({ minimum: 0, description: 'The version this change was made from.' })),
});

/** POST …/rollback: the settings of an earlier version become a new version. */
export const RollbackBody = Type.Object({
  version: Type.Integer({ minimum: 1 }),
  reason: Type.String({ minLength: 1, maxLength: 500 }),
});

/** One change in a version's diff against the version before it (JSON Pointer paths). */
export const SettingChange = Type.Object({
  path: Type.String(),
  before: Type.Optional(Type.Unknown()),
  after: Type.Optional(Type.Unknown()),
});
export type SettingChange = Static<typeof SettingChange>;

export const HistoryEntry = Type.Intersect([ConfigVersion, Type.Object({ changes: Type.Array(SettingChange) })]);
export type HistoryEntry = Static<typeof HistoryEntry>;
