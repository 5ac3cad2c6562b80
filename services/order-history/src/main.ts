// Entry point of the order-history process.

import { runService } from '@souk/chassis';
import { orderHistoryService } from './service.ts';

await runService(orderHistoryService);
