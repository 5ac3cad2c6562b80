// Entry point of the notifications process.

import { runService } from '@souk/chassis';
import { notificationsService } from './service.ts';

await runService(notificationsService);
