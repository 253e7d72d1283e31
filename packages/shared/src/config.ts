// Config entry point (`@tasker/shared/config`): schema, loader and the safe view, split by concern.
export { ConfigInputSchema, ConfigSchema, JWT_ALGORITHMS, LOG_LEVELS, parseAddress } from './config-schema.js';
export type { Config, ConfigInput } from './config-schema.js';
export { CONFIG_ENV_VARS, ConfigError, defaultConfig, loadConfig } from './config-load.js';
export type { ConfigOverrides, ConfigProblem, LoadConfigOptions } from './config-load.js';
export { SafeConfigSchema, toSafeConfig } from './config-safe.js';
export type { SafeConfig, SafeConfigOptions } from './config-safe.js';
