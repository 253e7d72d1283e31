import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devKeyPath, resolveCredential } from './credentials.js';

describe('CLI credentials', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'tasker-cred-'));
  mkdirSync(join(cwd, '.tasker'));
  writeFileSync(join(cwd, '.tasker', 'dev-api-key'), 'dev-key-from-file\n');

  it('takes flags, then env, then the dev key file', () => {
    expect(resolveCredential({ token: 't', apiKey: 'k', env: { TASKER_API_KEY: 'e' }, cwd })).toMatchObject({ kind: 'token', value: 't' });
    expect(resolveCredential({ apiKey: 'k', env: { TASKER_TOKEN: 'e' }, cwd })).toMatchObject({ kind: 'api_key', value: 'k' });
    expect(resolveCredential({ env: { TASKER_TOKEN: 'jwt', TASKER_API_KEY: 'e' }, cwd })).toMatchObject({ kind: 'token', value: 'jwt' });
    expect(resolveCredential({ env: { TASKER_API_KEY: 'e' }, cwd })).toMatchObject({ kind: 'api_key', value: 'e', source: 'TASKER_API_KEY' });
    expect(resolveCredential({ env: {}, cwd })).toMatchObject({ kind: 'api_key', value: 'dev-key-from-file' });
  });

  it('finds the dev key under TASKER_DATA_DIR, and nothing when absent', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tasker-data-'));
    writeFileSync(join(dataDir, 'dev-api-key'), 'other');
    expect(devKeyPath({ TASKER_DATA_DIR: dataDir }, cwd)).toBe(join(dataDir, 'dev-api-key'));
    expect(resolveCredential({ env: { TASKER_DATA_DIR: dataDir }, cwd })).toMatchObject({ value: 'other' });
    expect(resolveCredential({ env: {}, cwd: tmpdir() })).toEqual({ kind: 'none' });
  });
});
