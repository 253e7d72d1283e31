// Default logger: one JSON object per line on stderr, pino-style level numbers, so the worker's lines mix
// cleanly with orchestration's (Fastify/pino) in one log pipeline.
import type { WorkerLogger } from './types.js';

export const LOG_LEVEL_VALUES = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
} as const;
export type LogLevelName = keyof typeof LOG_LEVEL_VALUES;

export interface JsonLoggerOptions {
  level?: LogLevelName;
  /** Default: process.stderr. */
  write?: (line: string) => void;
  bindings?: Record<string, unknown>;
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: value.message };
    if (value.stack !== undefined) out['stack'] = value.stack;
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out['code'] = code;
    return out;
  }
  return value;
}

export function createJsonLogger(options: JsonLoggerOptions = {}): WorkerLogger {
  const threshold = LOG_LEVEL_VALUES[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const bindings = options.bindings ?? {};
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (fields: object, message?: string) => {
    const value = LOG_LEVEL_VALUES[level];
    if (value < threshold) return;
    const entries = Object.entries(fields).map(([k, v]) => [k, serialise(v)] as const);
    const line: Record<string, unknown> = {
      level: value,
      time: Date.now(),
      ...bindings,
      ...Object.fromEntries(entries),
    };
    if (message !== undefined) line['msg'] = message;
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch {
      text = JSON.stringify({
        level: value,
        time: line['time'],
        msg: message ?? '',
        note: 'unserialisable log fields',
      });
    }
    write(`${text}\n`);
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (extra) => createJsonLogger({ ...options, bindings: { ...bindings, ...extra } }),
  };
}

/** Discards everything (tests, embedding). */
export const silentLogger: WorkerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
