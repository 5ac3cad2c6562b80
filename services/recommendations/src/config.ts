// The recommendations service's own environment variables; the chassis validates them with the
// common ones at start (the only place they are read).

import { Type } from 'typebox';
import { MAX_DELAY_MS } from '../contract.ts';

export const RecommendationsConfig = Type.Object({
  RECOMMENDATIONS_DELAY_MS: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: MAX_DELAY_MS,
    description: 'Delay added to every read from the start (a slow service on purpose; change it live with the behaviour hook).',
  }),
});
