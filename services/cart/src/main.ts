// Entry point of the cart process.

import { runService } from '@souk/chassis';
import { cartService } from './service.ts';

await runService(cartService);
