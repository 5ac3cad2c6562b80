// Entry point of the telemetry process.

import { runService } from '@souk/chassis';
import { telemetryService } from './service.ts';

await runService(telemetryService);
