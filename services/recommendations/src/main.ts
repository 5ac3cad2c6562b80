// Entry point of the recommendations process.

import { runService } from '@souk/chassis';
import { recommendationsService } from './service.ts';

await runService(recommendationsService);
