// Entry point of the config server process.

import { runService } from '@souk/chassis';
import { configService } from './service.ts';

await runService(configService);
