import { toSafeConfig, type Config } from '@tasker/shared/config';
import type { JsonObject } from '@tasker/shared';
import type { Sql } from 'postgres';
import { countUsableApiKeys } from '../repositories/api-keys.js';
import type { ConfigService } from './types.js';

/**
 * The safe view. Config is frozen for the life of the process, but `auth.api_key_count` counts the keys that
 * can authenticate, and keys created through the API live in the database: those are counted per call (one
 * small count; none while API keys are off).
 */
export function createConfigService(config: Config, sql: Sql): ConfigService {
  const base = toSafeConfig(config);
  return {
    async safe() {
      if (!config.auth.api_keys.enabled) return base as JsonObject;
      const storedApiKeys = await countUsableApiKeys(sql);
      return {
        ...base,
        auth: { ...base.auth, api_key_count: toSafeConfig(config, { storedApiKeys }).auth.api_key_count },
      } as JsonObject;
    },
  };
}
