// Error codes the registry answers with; each is also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const registryErrors = defineErrors({
  notYourInstance: {
    code: 'SOUK_REGISTRY_NOT_YOUR_INSTANCE',
    status: 403,
    title: 'Not your instance',
    description:
      'With mutual TLS an instance registers, heartbeats and deregisters only itself: the service must be the one in the ' +
      "caller's SPIFFE id (spiffe://souk.local/<service>) and the instanceId its certificate's CN. Reads stay open.",
  },
  instanceTaken: {
    code: 'SOUK_REGISTRY_INSTANCE_TAKEN',
    status: 403,
    title: 'Instance id taken',
    description:
      'The instance id is registered by another service: it is not replaced, renewed or removed by a caller whose ' +
      'certificate names a different service, whatever its CN.',
  },
  instanceUnknown: {
    code: 'SOUK_REGISTRY_INSTANCE_UNKNOWN',
    status: 404,
    title: 'Instance unknown',
    description:
      'No instance with this id is registered: it never registered, deregistered, was evicted after missing heartbeats ' +
      'or the registry restarted; the client registers again.',
  },
  metadataTooLarge: {
    code: 'SOUK_REGISTRY_METADATA_TOO_LARGE',
    status: 422,
    title: 'Metadata too large',
    description:
      'An instance registered more metadata keys (REGISTRY_MAX_METADATA_KEYS, default 16) or bytes of keys and values ' +
      '(REGISTRY_MAX_METADATA_BYTES, default 4096) than the registry keeps.',
  },
  serviceFull: {
    code: 'SOUK_REGISTRY_SERVICE_FULL',
    status: 429,
    title: 'Too many instances of the service',
    retryable: true,
    description:
      'The service already has REGISTRY_MAX_INSTANCES_PER_SERVICE instances (default 64); a new instance id is refused until ' +
      'one deregisters or is evicted (Retry-After: the TTL). Re-registering a known instance is always accepted.',
  },
  registryFull: {
    code: 'SOUK_REGISTRY_FULL',
    status: 429,
    title: 'Registry full',
    retryable: true,
    description:
      'The registry holds REGISTRY_MAX_INSTANCES instances in all (default 1024); a new instance waits for one to leave (Retry-After: the TTL).',
  },
  tooManyWatchers: {
    code: 'SOUK_REGISTRY_TOO_MANY_WATCHERS',
    status: 429,
    title: 'Too many watches held',
    retryable: true,
    description:
      'The registry already holds REGISTRY_MAX_WATCHERS long-polls (default 1024), or REGISTRY_MAX_WATCHERS_PER_ADDRESS (default 256) ' +
      'from this remote address; poll again after Retry-After.',
  },
});
