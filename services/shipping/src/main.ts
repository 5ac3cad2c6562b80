// Entry point of the shipping process.

import { runService } from '@souk/chassis';
import { shippingService } from './service.ts';

await runService(shippingService);
