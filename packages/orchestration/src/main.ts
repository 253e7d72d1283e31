// `npm start`: the orchestration process. Reads config from files and the environment, starts everything
// (runtime.ts), prints where to reach it, and shuts down gracefully on SIGTERM/SIGINT (a second signal exits
// at once).
import { ConfigError, loadConfig } from '@tasker/shared/config';
import { DevKeyFileError } from '@tasker/shared/dev-key';
import { startServer } from './runtime.js';

async function main(): Promise<void> {
  const config = loadConfig({ env: process.env });
  const server = await startServer(config, {
    logger: { level: config.logging.level },
    explicitDevelopment: process.env['TASKER_ENV'] === 'development',
  });

  const lines = [
    `Tasker orchestration (${config.environment}) is running`,
    `  REST API:      ${server.restUrl}/v1`,
    `  gRPC:          ${server.grpcAddress} (grpc.health.v1; reflection ${config.grpc.reflection.enabled ? (config.grpc.reflection.public ? 'on, public' : 'on, needs a credential') : 'off'})`,
    `  API docs (UI): ${server.docsUrl}`,
    `  OpenAPI:       ${server.openApiUrl}`,
    `  Health:        ${server.restUrl}/health/ready`,
  ];
  if (server.embeddedDatabase !== undefined) {
    lines.push(
      `  Database:      embedded PostgreSQL on 127.0.0.1:${server.embeddedDatabase.port} (${server.embeddedDatabase.dataDir})`,
    );
  }
  if (!config.auth.enabled) lines.push('  Auth:          disabled (auth.enabled: false)');
  else if (server.devKey?.created) {
    lines.push(
      `  Dev admin key: ${server.devKey.key}`,
      `                 (saved to ${server.devKey.file}; shown only once)`,
    );
  } else if (server.devKey) lines.push(`  Dev admin key: in ${server.devKey.file}`);
  else if (server.devKeySkipped !== undefined) lines.push(`  Auth:          ${server.devKeySkipped}`);
  console.log(lines.join('\n'));

  // One Ctrl-C under npm/tsx can arrive twice within milliseconds (terminal process group + wrapper forwarding):
  // a repeat within a second is the same request; a later one means "stop waiting".
  let stoppingSince: number | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < 1000) return;
      console.error(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stoppingSince = Date.now();
    server.app.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('shutdown failed:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  // Config errors list every problem for a human; anything else keeps its stack.
  console.error(err instanceof ConfigError || err instanceof DevKeyFileError ? err.message : err);
  process.exit(1);
});
