// A discovery entry for unit tests of routing: an instance of `service` named `id`, of a release when given.

import { RELEASE_METADATA } from '../discovery/releases.ts';
import type { ServiceInstance } from '../discovery/types.ts';

export function testInstance(id: string, release?: string, service = 'catalog'): ServiceInstance {
  return {
    instanceId: id,
    service,
    url: `http://127.0.0.1/${id}`,
    version: '1',
    zone: 'local',
    weight: 100,
    metadata: release === undefined ? {} : { [RELEASE_METADATA]: release },
  };
}
