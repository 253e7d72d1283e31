import { loadConfig, type Config, type ConfigOverrides } from '@tasker/shared/config';

/** The default configuration with auth off (transport tests that are not about auth). */
export function makeTestConfig(overrides: ConfigOverrides = {}): Config {
  return loadConfig({ overrides: { auth: { enabled: false }, ...overrides } });
}
