// Starts the gateway (wiring only; see service.ts).

import { runService } from '@souk/chassis';
import { gatewayService } from './service.ts';

await runService(gatewayService);
