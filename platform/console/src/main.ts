// Entry point of the console backend's process.

import { runService } from '@souk/chassis';
import { consoleService } from './service.ts';

await runService(consoleService);
