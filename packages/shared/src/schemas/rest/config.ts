import { z } from 'zod';
import { JsonObjectSchema, named } from './common.js';

/** GET /config: the allow-listed safe configuration (never URLs, secrets or keys). */
export const SafeConfigResponseSchema = named('SafeConfig', JsonObjectSchema);
export type SafeConfigResponse = z.infer<typeof SafeConfigResponseSchema>;
