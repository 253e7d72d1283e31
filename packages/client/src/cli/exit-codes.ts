// Exit codes of the `tasker` CLI (documented in docs/client.md).
import type { ErrorCode } from '@tasker/shared/errors';

/** Process exit codes: scripts can tell a typo from a missing task from a refused credential. */
export const EXIT = {
  /** Success (also: a watched task completed). */
  OK: 0,
  /** Server error, unreachable server, or any other failure. */
  FAILURE: 1,
  /** Usage error: unknown command or option, bad argument, input the server rejected as invalid. */
  USAGE: 2,
  /** The task, step, template or DLQ entry does not exist. */
  NOT_FOUND: 3,
  /** Credential missing, invalid or expired, or a permission missing. */
  AUTH: 4,
  /** Invalid state or conflict: cancel a finished task, reset a step not in error, duplicate task. */
  CONFLICT: 5,
  /** A watched task finished without completing (error or cancelled). */
  TASK_FAILED: 6,
} as const;

/** One of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Exit code of a failed call with `code`. */
export function exitCodeOf(code: ErrorCode): ExitCode {
  switch (code) {
    case 'VALIDATION_FAILED':
      return EXIT.USAGE;
    case 'NOT_FOUND':
      return EXIT.NOT_FOUND;
    case 'UNAUTHENTICATED':
    case 'PERMISSION_DENIED':
      return EXIT.AUTH;
    case 'INVALID_STATE':
    case 'ALREADY_EXISTS':
      return EXIT.CONFLICT;
    case 'BACKPRESSURE':
    case 'UNAVAILABLE':
    case 'TIMEOUT':
    case 'INTERNAL':
      return EXIT.FAILURE;
  }
}

/** A CLI-side problem with what the user typed (bad JSON, unreadable file): exit 2 with this message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
