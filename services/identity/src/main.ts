// Entry point of the identity service process.

import { runService } from '@souk/chassis';
import { identityService } from './service.ts';

await runService(identityService);
