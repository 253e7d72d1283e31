// Where the CLI finds its credential, first match wins: --token, --api-key, TASKER_TOKEN, TASKER_API_KEY, then
// the dev admin key that orchestration writes on first start in development (<data dir>/dev-api-key).
import { isAbsolute, join, resolve } from 'node:path';
import { DevKeyFileError, readDevKeyFile } from '@tasker/shared/dev-key';
import { UsageError } from './exit-codes.js';

/** Where a credential may come from (flags, environment, working directory). */
export interface CredentialSources {
  token?: string | undefined;
  apiKey?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** The credential the CLI presents, with where it was found. */
export type Credential =
  | { kind: 'token'; value: string; source: string }
  | { kind: 'api_key'; value: string; source: string }
  | { kind: 'none' };

/** Name of the dev key file inside the data dir (`auth.dev_key_file: .tasker/dev-api-key` in development). */
export const DEV_KEY_FILE = 'dev-api-key';

/** `<TASKER_DATA_DIR or .tasker>/dev-api-key`, relative paths against `cwd`. */
export function devKeyPath(env: CredentialSources['env'], cwd: string): string {
  const dataDir = env.TASKER_DATA_DIR?.trim() || '.tasker';
  return join(isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir), DEV_KEY_FILE);
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * The credential to present, and where it came from (shown by `--verbose` style diagnostics).
 * @throws UsageError when the dev key file is readable by others or holds no generated key (the message says
 *   how to fix it): an admin credential is never used from a file anyone may have written.
 */
export function resolveCredential(sources: CredentialSources): Credential {
  const token = nonEmpty(sources.token);
  if (token !== undefined) return { kind: 'token', value: token, source: '--token' };
  const apiKey = nonEmpty(sources.apiKey);
  if (apiKey !== undefined) return { kind: 'api_key', value: apiKey, source: '--api-key' };
  const envToken = nonEmpty(sources.env.TASKER_TOKEN);
  if (envToken !== undefined) return { kind: 'token', value: envToken, source: 'TASKER_TOKEN' };
  const envKey = nonEmpty(sources.env.TASKER_API_KEY);
  if (envKey !== undefined) return { kind: 'api_key', value: envKey, source: 'TASKER_API_KEY' };
  const path = devKeyPath(sources.env, sources.cwd);
  let fileKey: string | undefined;
  try {
    fileKey = readDevKeyFile(path);
  } catch (err) {
    if (err instanceof DevKeyFileError) throw new UsageError(err.message);
    // Unreadable for another reason (a directory, no permission): as if absent; the server may run with auth off.
  }
  return fileKey === undefined ? { kind: 'none' } : { kind: 'api_key', value: fileKey, source: path };
}
