// Entry point of the inventory process.

import { runService } from '@souk/chassis';
import { inventoryService } from './service.ts';

await runService(inventoryService);
