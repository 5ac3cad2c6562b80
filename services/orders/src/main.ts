// Entry point of the orders service.
import { runService } from '@souk/chassis';
import { ordersService } from './service.ts';

await runService(ordersService);
