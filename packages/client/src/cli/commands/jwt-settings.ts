// The JWT settings the CLI's token helpers share with the server: config `auth.jwt` (default.yaml → overlay →
// env), or, where no config files are at hand (the CLI installed on its own), the documented defaults plus the
// same env variables.
import { loadConfig } from '@tasker/shared/config';

/** The JWT part of the server config the token helpers need. */
export interface JwtSettings {
  issuer: string;
  audience: string;
  algorithms: string[];
  hs256Secret: string | null;
  publicKeyPath: string | null;
  publicKeyPem: string | null;
  jwksUrl: string | null;
  permissionsClaim: string;
  namespacesClaim: string;
  clockToleranceS: number;
  strictValidation: boolean;
}

/** config/default.yaml's values, for a CLI running without the config files. */
export const DEFAULT_JWT_SETTINGS: Readonly<JwtSettings> = Object.freeze({
  issuer: 'tasker',
  audience: 'tasker-api',
  algorithms: ['RS256', 'ES256', 'HS256'],
  hs256Secret: null,
  publicKeyPath: null,
  publicKeyPem: null,
  jwksUrl: null,
  permissionsClaim: 'permissions',
  namespacesClaim: 'worker_namespaces',
  clockToleranceS: 30,
  strictValidation: true,
});

function fromEnv(env: Readonly<Record<string, string | undefined>>): JwtSettings {
  const pick = (name: string): string | null => env[name]?.trim() || null;
  return {
    ...DEFAULT_JWT_SETTINGS,
    issuer: pick('TASKER_JWT_ISSUER') ?? DEFAULT_JWT_SETTINGS.issuer,
    audience: pick('TASKER_JWT_AUDIENCE') ?? DEFAULT_JWT_SETTINGS.audience,
    hs256Secret: pick('TASKER_JWT_HS256_SECRET'),
    publicKeyPath: pick('TASKER_JWT_PUBLIC_KEY_PATH'),
    publicKeyPem: pick('TASKER_JWT_PUBLIC_KEY'),
    jwksUrl: pick('TASKER_JWT_JWKS_URL'),
  };
}

/** The server's JWT settings as this environment configures them. */
export function loadJwtSettings(env: Readonly<Record<string, string | undefined>>): JwtSettings {
  let jwt;
  let strict: boolean;
  try {
    const config = loadConfig({ env });
    jwt = config.auth.jwt;
    strict = config.auth.strict_validation;
  } catch {
    return fromEnv(env);
  }
  return {
    issuer: jwt.issuer,
    audience: jwt.audience,
    algorithms: [...jwt.algorithms],
    hs256Secret: jwt.hs256_secret,
    publicKeyPath: jwt.public_key_path,
    publicKeyPem: jwt.public_key_pem,
    jwksUrl: jwt.jwks_url,
    permissionsClaim: jwt.permissions_claim,
    namespacesClaim: jwt.namespaces_claim,
    clockToleranceS: jwt.clock_tolerance_s,
    strictValidation: strict,
  };
}
