// Error codes the registry answers with; each is also listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const registryErrors = defineErrors({
  instanceUnknown: {
    code: 'SOUK_REGISTRY_INSTANCE_UNKNOWN',
    status: 404,
    title: 'Instance unknown',
    description:
      'No instance with this id is registered: it never registered, deregistered, was evicted after missing heartbeats ' +
      'or the registry restarted; the client registers again.',
  },
});
