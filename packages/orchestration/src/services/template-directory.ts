// Registers the templates of `templates.dir` (*.yaml, *.yml, *.json, recursively) at start-up. Identical
// content is a no-op; a file whose content differs from the registered version is reported and skipped (a
// new version must get a new version number), so one bad file never keeps the server from starting.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { TemplateRegistration } from '@tasker/shared';
import { isAppError } from '@tasker/shared/errors';
import type { Principal } from '@tasker/shared/permissions';
import { errorMessage, type EngineLogger } from '../engine/logger.js';
import type { TemplateService } from './types.js';

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full)));
    else if (entry.isFile() && EXTENSIONS.has(path.extname(entry.name).toLowerCase())) files.push(full);
  }
  return files;
}

export interface DirectoryLoadResult {
  registered: TemplateRegistration[];
  failed: { file: string; error: string }[];
}

/** Loads every template file of `dir`; a missing directory is reported as one failure. */
export async function registerTemplateDirectory(
  dir: string,
  templates: TemplateService,
  principal: Principal,
  logger: EngineLogger,
): Promise<DirectoryLoadResult> {
  const result: DirectoryLoadResult = { registered: [], failed: [] };
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    result.failed.push({ file: dir, error: 'templates.dir does not exist or is not a directory' });
    logger.error({ dir }, 'templates.dir does not exist or is not a directory');
    return result;
  }
  for (const file of await listFiles(dir)) {
    try {
      const text = await readFile(file, 'utf8');
      const raw: unknown = path.extname(file).toLowerCase() === '.json' ? JSON.parse(text) : text;
      const registered = await templates.register(principal, [raw], { force: false });
      result.registered.push(...registered);
      for (const { warnings, ...r } of registered) {
        logger.info({ file, ...r }, 'template registered');
        for (const w of warnings)
          logger.warn(
            { file, template: `${r.namespace}/${r.name}@${r.version}`, path: w.path },
            `template warning: ${w.message}`,
          );
      }
    } catch (err) {
      const error = isAppError(err) ? `${err.code}: ${err.message}` : errorMessage(err);
      result.failed.push({ file, error });
      logger.error({ file, err: error }, 'template file not registered');
    }
  }
  return result;
}
