// Entry point of the payment-provider process.

import { runService } from '@souk/chassis';
import { paymentProviderService } from './service.ts';

await runService(paymentProviderService);
