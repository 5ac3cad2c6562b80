// The registry's own environment variables; the chassis validates them with the
// common ones at start (the only place they are read).

import { Type } from 'typebox';
import { DEFAULT_TTL_MS } from './registry-store.ts';

export const DEFAULT_HEARTBEAT_SECONDS = 3;
export const DEFAULT_SWEEP_INTERVAL_MS = 1000;

export const RegistryConfig = Type.Object({
  REGISTRY_TTL_SECONDS: Type.Number({
    default: DEFAULT_TTL_MS / 1000,
    exclusiveMinimum: 0,
    description: 'An instance is evicted this long after its last heartbeat.',
  }),
  REGISTRY_HEARTBEAT_SECONDS: Type.Number({
    default: DEFAULT_HEARTBEAT_SECONDS,
    exclusiveMinimum: 0,
    description: 'How often clients are told to heartbeat; keep it well below the TTL.',
  }),
  REGISTRY_SWEEP_INTERVAL_MS: Type.Integer({
    default: DEFAULT_SWEEP_INTERVAL_MS,
    minimum: 1,
    description: 'How often expired instances are looked for.',
  }),
});
