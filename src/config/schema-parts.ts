import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../core/duration.js';

/** Building blocks shared by the sections of the config schema. */

/**
 * A duration as written (`90s`, `2h`, `1h30m`), parsed here once to milliseconds: the rest of the code
 * reads numbers and never restates a default. Defaults are given with `.prefault` (the written form).
 */
export const duration = () =>
  z
    .string()
    .regex(DURATION_PATTERN, { error: 'expected a duration like "2h" (units s, m, h, d, w)' })
    .transform((text) => parseDuration(text) as number);
