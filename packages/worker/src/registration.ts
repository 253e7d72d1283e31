// Announces the worker to orchestration: the worker itself (namespaces, handler names), then its templates.
// Transient failures are retried until they succeed or the start is abandoned; a refusal fails the start.
import { hostname } from 'node:os';
import type { TaskerClient } from '@tasker/client/types';
import type { OrchestrationCalls } from './orchestration-calls.js';
import type { WorkerSettings } from './settings.js';
import type { WorkerCatalog } from './templates.js';
import type { WorkerLogger } from './types.js';

export interface RegistrationOptions {
  client: TaskerClient;
  settings: WorkerSettings;
  catalog: WorkerCatalog;
  calls: OrchestrationCalls;
  logger: WorkerLogger;
  /** Aborts when the worker is stopped during its start. */
  signal: AbortSignal;
}

export async function registerWithOrchestration(o: RegistrationOptions): Promise<void> {
  const { client, settings, catalog } = o;
  await o.calls.retry(
    'register',
    () =>
      client.workers.register({
        workerId: settings.workerId,
        hostname: hostname(),
        version: settings.version,
        namespaces: catalog.namespaces,
        handlers: settings.handlerNames,
        metadata: { worker_type: 'typescript', concurrency: settings.concurrency, pid: process.pid },
      }),
    o.signal,
  );
  if (catalog.templates.length === 0) return;
  const results = await o.calls.retry(
    'register_templates',
    () =>
      client.templates.register(
        catalog.templates.map((t) => t.configuration),
        { force: settings.forceTemplates },
      ),
    o.signal,
  );
  for (const r of results) {
    const template = `${r.namespace}/${r.name}@${r.version}`;
    o.logger.debug({ template, outcome: r.outcome }, 'template registered');
    for (const w of r.warnings) o.logger.warn({ template, path: w.path }, `template warning: ${w.message}`);
  }
}
