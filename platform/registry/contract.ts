// The registry's public HTTP API as TypeBox schemas: routes validate with them,
// /openapi.json is generated from them, and clients may import the types.

import { Type, type Static } from 'typebox';

/** A DNS label, so a service name also works as a Kubernetes Service name and a metric label. */
export const ServiceName = Type.String({
  pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$',
  description: 'Lowercase letters, digits and dashes; starts and ends with a letter or digit; at most 63 characters.',
});

/** Loose enough for pod names and `<service>-<random>`, strict enough to sit in a URL path unescaped. */
export const InstanceId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$',
  description: 'Letters, digits, dots, underscores and dashes; at most 128 characters.',
});

/** Absolute http(s) URL with a host and no whitespace; the base URL clients call. */
export const InstanceUrl = Type.String({
  pattern: '^https?://[^\\s/?#@]+(?:[/?#]\\S*)?$',
  maxLength: 2048,
  description: 'Base URL of the instance, http:// or https://.',
});

export const Metadata = Type.Record(Type.String(), Type.String({ maxLength: 1024 }), {
  maxProperties: 64,
  description: 'Free-form string labels (e.g. `canary: "true"`), at most 64.',
});

export const Registration = Type.Object({
  service: ServiceName,
  instanceId: InstanceId,
  url: InstanceUrl,
  version: Type.String({ minLength: 1, maxLength: 64 }),
  zone: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', default: 'local' })),
  weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 100 })),
  metadata: Type.Optional(Metadata),
});
export type Registration = Static<typeof Registration>;

export const RegistrationAccepted = Type.Object({
  instanceId: Type.String(),
  ttlSeconds: Type.Number(),
  heartbeatIntervalSeconds: Type.Number(),
});
export type RegistrationAccepted = Static<typeof RegistrationAccepted>;

export const Instance = Type.Object({
  instanceId: Type.String(),
  service: Type.String(),
  url: Type.String(),
  version: Type.String(),
  zone: Type.String(),
  weight: Type.Integer(),
  metadata: Type.Record(Type.String(), Type.String()),
  registeredAt: Type.String({ format: 'date-time' }),
  lastHeartbeatAt: Type.String({ format: 'date-time' }),
});
export type Instance = Static<typeof Instance>;

export const InstanceParams = Type.Object({ instanceId: InstanceId });
export const ServiceParams = Type.Object({ name: ServiceName });

/** Every instance by service, with the index a watcher passes back to wait for the next change. */
export const ServicesSnapshot = Type.Object({
  index: Type.Integer(),
  services: Type.Record(Type.String(), Type.Array(Instance)),
});
export type ServicesSnapshot = Static<typeof ServicesSnapshot>;

export const ServiceInstances = Type.Object({
  index: Type.Integer(),
  instances: Type.Array(Instance),
});
export type ServiceInstances = Static<typeof ServiceInstances>;

// Below the 300 s header timeout of undici and Node clients, so a held request never looks like a dead server.
export const MAX_WAIT_SECONDS = 120;
export const DEFAULT_WAIT_SECONDS = 30;

export const WatchQuery = Type.Object({
  index: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'The index of the last answer; 0 answers at once.' })),
  waitSeconds: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: MAX_WAIT_SECONDS,
      default: DEFAULT_WAIT_SECONDS,
      description: 'How long to hold the request when nothing changes.',
    }),
  ),
});
export type WatchQuery = Static<typeof WatchQuery>;
