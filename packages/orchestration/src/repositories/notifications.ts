// The LISTEN/NOTIFY channels and their payloads, encoded and decoded side by side: `tasker_steps` (sent by
// tasker.notify_steps_ready), `tasker_events` (payload = a task uuid, sent by writers of watched tasks) and
// `tasker_templates` (sent by notifyTemplateChanged below). A malformed payload is dropped.
import type { ListenMeta, Sql } from 'postgres';
import type { Db } from './tasks.js';

const STEPS_CHANNEL = 'tasker_steps';
const EVENTS_CHANNEL = 'tasker_events';
const TEMPLATES_CHANNEL = 'tasker_templates';

/** Payload of `tasker_templates`: this template was created or changed. */
export interface TemplateChanged {
  namespace: string;
  name: string;
  version: string;
}

function parseTemplateChanged(payload: string): TemplateChanged | undefined {
  try {
    const value = JSON.parse(payload) as { n?: unknown; t?: unknown; v?: unknown };
    if (typeof value.n !== 'string' || typeof value.t !== 'string' || typeof value.v !== 'string') return undefined;
    return { namespace: value.n, name: value.t, version: value.v };
  } catch {
    return undefined;
  }
}

/**
 * Tells every replica (engine/notification-hub.ts) that this template was created or changed, at the commit of
 * the registering transaction: their caches drop it.
 */
export async function notifyTemplateChanged(sql: Db, namespace: string, name: string, version: string): Promise<void> {
  await sql`SELECT pg_notify(${TEMPLATES_CHANNEL}, ${JSON.stringify({ n: namespace, t: name, v: version })})`;
}

/** Payload of `tasker_steps` (tasker.notify_steps_ready): steps became claimable in a namespace. */
export interface StepsReady {
  namespace: string;
  count: number;
  handlers: string[];
}

function parseStepsReady(payload: string): StepsReady | undefined {
  try {
    const value = JSON.parse(payload) as { n?: unknown; c?: unknown; h?: unknown };
    if (typeof value.n !== 'string') return undefined;
    return {
      namespace: value.n,
      count: typeof value.c === 'number' ? value.c : 1,
      handlers: Array.isArray(value.h) ? value.h.filter((h): h is string => typeof h === 'string') : [],
    };
  } catch {
    return undefined;
  }
}

/** LISTENs on `tasker_steps`; `onListen` runs at every (re)connect of the listen connection. */
export function listenForStepsReady(
  sql: Sql,
  onReady: (ready: StepsReady) => void,
  onListen: () => void,
): Promise<ListenMeta> {
  return sql.listen(
    STEPS_CHANNEL,
    (payload) => {
      const ready = parseStepsReady(payload);
      if (ready !== undefined) onReady(ready);
    },
    onListen,
  );
}

/** LISTENs on `tasker_events`: `onEvent` gets the uuid of the task a committed transition belongs to. */
export function listenForTaskEvents(
  sql: Sql,
  onEvent: (taskUuid: string) => void,
  onListen: () => void,
): Promise<ListenMeta> {
  return sql.listen(EVENTS_CHANNEL, onEvent, onListen);
}

/** LISTENs on `tasker_templates`. */
export function listenForTemplateChanges(
  sql: Sql,
  onChanged: (template: TemplateChanged) => void,
  onListen: () => void,
): Promise<ListenMeta> {
  return sql.listen(
    TEMPLATES_CHANNEL,
    (payload) => {
      const changed = parseTemplateChanged(payload);
      if (changed !== undefined) onChanged(changed);
    },
    onListen,
  );
}
