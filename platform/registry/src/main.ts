// Starts the registry. It never registers with itself: REGISTRY_URL stays unset for it.

import { runService } from '@souk/chassis';
import { registryService } from './service.ts';

await runService(registryService);
