// Entry point of the payments process.

import { runService } from '@souk/chassis';
import { paymentsService } from './service.ts';

await runService(paymentsService);
