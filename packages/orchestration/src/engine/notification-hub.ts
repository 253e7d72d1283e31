// One LISTEN connection per process (postgres.js keeps a single dedicated connection for all of an Sql's
// listens) fanned out in memory: `tasker_steps` wakes claim waiters, `tasker_events` wakes task watchers,
// `tasker_templates` tells every replica that a template was registered or changed (its caches drop it).
// After a reconnect notifications may have been missed, so every subscriber is told to re-check.
import type { ListenMeta, Sql } from 'postgres';
import {
  listenForStepsReady,
  listenForTaskEvents,
  listenForTemplateChanges,
  type StepsReady,
  type TemplateChanged,
} from '../repositories/notifications.js';
import { errorMessage, type EngineLogger } from './logger.js';

/** Channels listened on (one connect callback each at start). */
const CHANNELS = 3;

export interface NotificationHub {
  start(): Promise<void>;
  stop(): Promise<void>;
  onStepsReady(listener: (ready: StepsReady) => void): () => void;
  /** Called for every notification about `taskUuid` (a transition of it committed). */
  onTaskEvent(taskUuid: string, listener: () => void): () => void;
  /** Called for every template created or changed by any replica (this one included). */
  onTemplateChanged(listener: (template: TemplateChanged) => void): () => void;
  /** Called when the listen connection was (re)established: anything may have been missed. */
  onReconnect(listener: () => void): () => void;
  /** The listen connection is up. */
  isListening(): boolean;
}

export function createNotificationHub(sql: Sql, logger: EngineLogger): NotificationHub {
  const stepListeners = new Set<(ready: StepsReady) => void>();
  const taskListeners = new Map<string, Set<() => void>>();
  const reconnectListeners = new Set<() => void>();
  const templateListeners = new Set<(template: TemplateChanged) => void>();
  const metas: ListenMeta[] = [];
  let listening = false;
  let connects = 0;

  const safely = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      logger.error({ err: errorMessage(err) }, 'notification listener failed');
    }
  };

  const onListen = (): void => {
    listening = true;
    connects += 1;
    // The first connect of each channel is the start itself; later ones are reconnects after a drop.
    if (connects > CHANNELS) {
      logger.warn({ connects }, 'LISTEN connection re-established; waking every waiter');
      for (const listener of reconnectListeners) safely(listener);
    }
  };

  return {
    async start() {
      metas.push(
        await listenForStepsReady(
          sql,
          (ready) => {
            for (const listener of stepListeners) safely(() => listener(ready));
          },
          onListen,
        ),
      );
      metas.push(
        await listenForTaskEvents(
          sql,
          (taskUuid) => {
            const listeners = taskListeners.get(taskUuid);
            if (listeners === undefined) return;
            for (const listener of listeners) safely(listener);
          },
          onListen,
        ),
      );
      metas.push(
        await listenForTemplateChanges(
          sql,
          (changed) => {
            for (const listener of templateListeners) safely(() => listener(changed));
          },
          onListen,
        ),
      );
    },
    async stop() {
      listening = false;
      const all = metas.splice(0);
      await Promise.all(all.map((m) => m.unlisten().catch(() => undefined)));
    },
    onStepsReady(listener) {
      stepListeners.add(listener);
      return () => stepListeners.delete(listener);
    },
    onTaskEvent(taskUuid, listener) {
      let set = taskListeners.get(taskUuid);
      if (set === undefined) {
        set = new Set();
        taskListeners.set(taskUuid, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) taskListeners.delete(taskUuid);
      };
    },
    onTemplateChanged(listener) {
      templateListeners.add(listener);
      return () => templateListeners.delete(listener);
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    isListening: () => listening,
  };
}
