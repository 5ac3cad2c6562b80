// Entry point of the catalog process.

import { runService } from '@souk/chassis';
import { catalogService } from './service.ts';

await runService(catalogService);
