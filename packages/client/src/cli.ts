// Entry point of the `tasker` CLI (bin/tasker.mjs runs this file, compiled or through tsx).
import { runCli } from './cli/program.js';

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
// Let pending output flush; exitCode instead of exit() so nothing is cut short.
process.exitCode = code;
