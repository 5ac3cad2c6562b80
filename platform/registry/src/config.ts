// The registry's own environment variables; the chassis validates them with the
// common ones at start (the only place they are read).

import { Type } from 'typebox';
import {
  DEFAULT_MAX_INSTANCES,
  DEFAULT_MAX_INSTANCES_PER_SERVICE,
  DEFAULT_MAX_METADATA_BYTES,
  DEFAULT_MAX_METADATA_KEYS,
  DEFAULT_MAX_WATCHERS,
  DEFAULT_MAX_WATCHERS_PER_ADDRESS,
} from './limits.ts';
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
  REGISTRY_MAX_INSTANCES_PER_SERVICE: Type.Integer({
    default: DEFAULT_MAX_INSTANCES_PER_SERVICE,
    minimum: 1,
    description: 'Instances one service may register; a new instance id beyond it is 429.',
  }),
  REGISTRY_MAX_INSTANCES: Type.Integer({
    default: DEFAULT_MAX_INSTANCES,
    minimum: 1,
    description: 'Instances of all services together; a new instance beyond it is 429.',
  }),
  REGISTRY_MAX_METADATA_KEYS: Type.Integer({
    default: DEFAULT_MAX_METADATA_KEYS,
    minimum: 0,
    maximum: 64,
    description: 'Metadata keys per instance (the API caps it at 64); more is 422.',
  }),
  REGISTRY_MAX_METADATA_BYTES: Type.Integer({
    default: DEFAULT_MAX_METADATA_BYTES,
    minimum: 0,
    description: 'UTF-8 bytes of metadata keys and values per instance; more is 422.',
  }),
  REGISTRY_MAX_WATCHERS: Type.Integer({
    default: DEFAULT_MAX_WATCHERS,
    minimum: 1,
    description: 'Long-poll watches held at once; one more is 429 with Retry-After.',
  }),
  REGISTRY_MAX_WATCHERS_PER_ADDRESS: Type.Integer({
    default: DEFAULT_MAX_WATCHERS_PER_ADDRESS,
    minimum: 1,
    description: 'Long-poll watches held at once from one remote address; one more is 429 with Retry-After.',
  }),
});
