// Entry point of the schema registry process.

import { runService } from '@souk/chassis';
import { schemaRegistryService } from './service.ts';

await runService(schemaRegistryService);
