// `task watch` and `task create --watch`: follow a task to its end and exit by how it ended.
import type { TaskState } from '@tasker/shared';
import { taskEventToRest } from '@tasker/shared/convert/rest/index';
import type { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { InPlaceRenderer, WatchView, eventLine } from '../watch-view.js';

/** How often a terminal view refreshes the running steps' timers between events. */
const TICK_MS = 250;

/** Options of a watch run. */
export interface WatchFlags {
  afterEventId?: number;
}

/** Exit code of a watch that ended in `state`. */
export function exitCodeOfTaskState(state: TaskState): number {
  return state === 'complete' || state === 'resolved_manually' ? EXIT.OK : EXIT.TASK_FAILED;
}

/**
 * Streams the task's events. JSON / YAML output: one REST TaskEvent document per event (NDJSON / YAML
 * documents), identical on both transports. Table output: the live DAG view on a TTY (growing as decision and
 * batchable steps create steps), plain lines otherwise.
 */
export async function runWatch(ctx: CliContext, cmd: Command, taskUuid: string, flags: WatchFlags = {}): Promise<void> {
  const client = ctx.clientFor(cmd);
  const format = ctx.globals(cmd).output;
  const options = {
    includeSteps: true,
    ...(flags.afterEventId === undefined ? {} : { afterEventId: flags.afterEventId }),
  };
  let last: TaskState | undefined;

  if (format !== 'table') {
    for await (const event of client.tasks.watch(taskUuid, options)) {
      const doc = taskEventToRest(event);
      ctx.write(format === 'json' ? `${JSON.stringify(doc)}\n` : `---\n${toYaml(doc)}`);
      last = event.taskState;
    }
  } else if (ctx.io.stdout.isTTY === true) {
    const [summary, steps] = await Promise.all([client.tasks.summary(taskUuid), client.steps.list(taskUuid)]);
    const view = new WatchView(summary, steps);
    const renderer = new InPlaceRenderer((text) => ctx.write(text), ctx.io.stdout.columns);
    renderer.draw(view.render(new Date()));
    const timer = setInterval(() => renderer.draw(view.render(new Date())), TICK_MS);
    try {
      for await (const event of client.tasks.watch(taskUuid, options)) {
        view.apply(event);
        renderer.draw(view.render(new Date()));
      }
    } finally {
      clearInterval(timer);
    }
    renderer.draw(view.render(new Date()));
    last = view.state;
  } else {
    for await (const event of client.tasks.watch(taskUuid, options)) {
      ctx.write(`${eventLine(event)}\n`);
      last = event.taskState;
    }
  }
  // The watch ends only after the terminal event; without one the task's current state decides.
  const final = last ?? (await client.tasks.get(taskUuid)).state;
  ctx.exitCode = exitCodeOfTaskState(final);
}
