import { toSafeConfig, type Config } from '@tasker/shared/config';
import type { JsonObject } from '@tasker/shared';
import type { ConfigService } from './types.js';

/** The safe view is computed once: config is frozen for the life of the process. */
export function createConfigService(config: Config): ConfigService {
  const safe = toSafeConfig(config) as JsonObject;
  return {
    safe: () => safe,
  };
}
