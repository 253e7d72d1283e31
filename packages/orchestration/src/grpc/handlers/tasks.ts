// TaskService: convert → service → convert. StreamTaskStatus yields the service's task event watch.
import {
  cancelTaskRequestFromProto,
  cancelTaskResponseToProto,
  createTaskInputFromProto,
  createdTaskToProto,
  getTaskRequestFromProto,
  getTaskResponseToProto,
  resolveTaskRequestFromProto,
  resumeTaskRequestFromProto,
  streamTaskStatusRequestFromProto,
  taskContextToProto,
  taskListQueryFromProto,
  taskPageToProto,
  taskStatusEventToProto,
  taskSummaryToProto,
  taskToProto,
  taskUuidFromProto,
} from '@tasker/shared/convert/proto/index';
import type { TaskServiceImplementation } from '@tasker/shared/gen/tasker/v1/tasks';
import { assertPermission } from '@tasker/shared/permissions';
import type { Services } from '../../services/types.js';
import { untilAborted } from '../abortable.js';
import type { PrincipalContext } from '../context.js';

export function createTaskHandlers(
  services: Pick<Services, 'tasks' | 'taskEvents'>,
): TaskServiceImplementation<PrincipalContext> {
  const { tasks, taskEvents } = services;
  return {
    async createTask(req, { principal }) {
      return createdTaskToProto(await tasks.createWithAdmission(principal, createTaskInputFromProto(req)));
    },

    async getTask(req, { principal }) {
      const q = getTaskRequestFromProto(req);
      // The context view includes step outputs, which tasks:read alone does not grant (GetTaskContext's permission).
      if (q.includeContext) assertPermission(principal, 'tasks:context_read');
      const { task, steps } = q.includeSteps
        ? await tasks.getWithSteps(principal, q.taskUuid)
        : { task: await tasks.get(principal, q.taskUuid), steps: null };
      const context = q.includeContext ? await tasks.getContext(principal, q.taskUuid) : null;
      return getTaskResponseToProto({ task, steps, context });
    },

    async listTasks(req, { principal }) {
      return taskPageToProto(await tasks.list(principal, taskListQueryFromProto(req)));
    },

    async cancelTask(req, { principal }) {
      const c = cancelTaskRequestFromProto(req);
      return cancelTaskResponseToProto(await tasks.cancel(principal, c.taskUuid, c.input));
    },

    async resumeTask(req, { principal }) {
      const c = resumeTaskRequestFromProto(req);
      return { task: taskToProto(await tasks.resume(principal, c.taskUuid, c.input)) };
    },

    async resolveTask(req, { principal }) {
      const c = resolveTaskRequestFromProto(req);
      return { task: taskToProto(await tasks.resolve(principal, c.taskUuid, c.input)) };
    },

    async getTaskContext(req, { principal }) {
      return { context: taskContextToProto(await tasks.getContext(principal, taskUuidFromProto(req))) };
    },

    async getTaskSummary(req, { principal }) {
      return taskSummaryToProto(await tasks.summary(principal, taskUuidFromProto(req)));
    },

    async *streamTaskStatus(req, { principal, signal }) {
      const q = streamTaskStatusRequestFromProto(req);
      let lastEventId = q.options.afterEventId ?? 0;
      for await (const event of untilAborted(
        taskEvents.watch(principal, q.taskUuid, { ...q.options, signal }),
        signal,
      )) {
        if (event.type !== 'keepalive') lastEventId = event.eventId;
        yield taskStatusEventToProto(event, lastEventId);
      }
      // The watch also ends when the call is aborted: then the stream did not reach the terminal event, and
      // the client must learn why (client gone, deadline, or server draining → UNAVAILABLE) instead of an OK.
      signal.throwIfAborted();
    },
  };
}
