// REST ↔ gRPC parity: every scenario of parity/scenarios runs through the REST app and through the gRPC server,
// both over one runtime; results are compared as domain objects after normalisation, errors by code.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from '../../src/rest/app.js';
import { closeApp } from '../../src/rest/plumbing.js';
import { createGrpcServer, type GrpcServer } from '../../src/grpc/server.js';
import { createTaskerClients, type TaskerClients } from './helpers/grpc-client.js';
import { startTestRuntime, TEST_PRINCIPAL, type TestRuntime } from './helpers/runtime.js';
import { renderParityDoc } from './parity/doc.js';
import { registerParityTemplates } from './parity/fixtures.js';
import { normaliseRun } from './parity/normalise.js';
import { createRestClient, type RestClient } from './parity/rest-client.js';
import { PARITY_BACKPRESSURE } from './parity/scenarios/admission.js';
import { NOT_COMPARABLE, SCENARIOS } from './parity/scenarios/index.js';
import type { Outcome, ParityContext, Scenario } from './parity/types.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

let runtime: TestRuntime;
let app: FastifyInstance;
let server: GrpcServer;
let grpc: TaskerClients;
let rest: RestClient;

beforeAll(async () => {
  runtime = await startTestRuntime({ auth: { enabled: false }, backpressure: PARITY_BACKPRESSURE });
  await registerParityTemplates(runtime.services, TEST_PRINCIPAL);
  app = await buildRestApp(runtime.services, runtime.config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('REST app has no TCP address');
  rest = createRestClient(`http://127.0.0.1:${address.port}`);
  server = createGrpcServer(runtime.services, runtime.config);
  const { port } = await server.listen('127.0.0.1:0');
  grpc = createTaskerClients(`127.0.0.1:${port}`);
});

afterAll(async () => {
  grpc?.close();
  await server?.shutdown();
  if (app !== undefined) await closeApp(app, 1_000);
  await runtime?.stop();
});

/** One transport's run of a scenario, with its own token and its cleanups. */
async function runOnce(scenario: Scenario, transport: 'rest' | 'grpc'): Promise<{ outcome: Outcome; token: string }> {
  const token = `tk${randomBytes(6).toString('hex')}`;
  const cleanups: Array<() => Promise<unknown>> = [];
  const ctx: ParityContext = {
    services: runtime.services,
    principal: TEST_PRINCIPAL,
    rest,
    grpc,
    token,
    cleanup: (fn) => cleanups.push(fn),
    setOperationalState: (state) => runtime.runtime.health.setOperationalState(state),
  };
  try {
    return { outcome: await scenario[transport](ctx), token };
  } finally {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  }
}

/** What must match: the normalised value of a success, the code of a failure (messages may be worded differently). */
function comparable(scenario: Scenario, run: { outcome: Outcome; token: string }): unknown {
  const { outcome, token } = run;
  if (!outcome.ok) return { error: outcome.code };
  const value = normaliseRun(outcome.value, token);
  return { value: scenario.normalise ? scenario.normalise(value) : value };
}

const label = (o: Outcome) => (o.ok ? 'ok' : `${o.code} (${o.message})`);

describe('the scenario list', () => {
  it('gives every scenario a unique name and both transports', () => {
    expect(new Set(SCENARIOS.map((s) => s.name)).size).toBe(SCENARIOS.length);
    for (const s of SCENARIOS) {
      expect(typeof s.rest, `${s.name}: REST run`).toBe('function');
      expect(typeof s.grpc, `${s.name}: gRPC run`).toBe('function');
      expect(s.restCall.length * s.grpcCall.length, `${s.name}: documented calls`).toBeGreaterThan(0);
    }
  });

  it('is what docs/parity.md shows (regenerate with `npx tsx scripts/parity-doc.ts`)', () => {
    const doc = readFileSync(`${repoRoot}docs/parity.md`, 'utf8');
    expect(doc).toBe(renderParityDoc(SCENARIOS, NOT_COMPARABLE));
  });

  // Asynchronous on purpose: blocking the event loop for the compile would starve the runtime's health probe.
  it('type-checks, and a scenario with one transport does not', { timeout: 180_000 }, async () => {
    const tsc = `${repoRoot}node_modules/typescript/bin/tsc`;
    const project = fileURLToPath(new URL('./parity/tsconfig.json', import.meta.url));
    let output = '';
    try {
      await promisify(execFile)(process.execPath, [tsc, '-p', project], { cwd: repoRoot, encoding: 'utf8' });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output).toBe('');
  });
});

describe('REST ↔ gRPC parity', () => {
  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      const viaRest = await runOnce(scenario, 'rest');
      const viaGrpc = await runOnce(scenario, 'grpc');
      expect(viaRest.outcome.ok ? 'ok' : viaRest.outcome.code, `REST outcome: ${label(viaRest.outcome)}`).toBe(
        scenario.expect,
      );
      expect(viaGrpc.outcome.ok ? 'ok' : viaGrpc.outcome.code, `gRPC outcome: ${label(viaGrpc.outcome)}`).toBe(
        scenario.expect,
      );
      expect(comparable(scenario, viaGrpc)).toEqual(comparable(scenario, viaRest));
      for (const run of [viaRest, viaGrpc]) if (run.outcome.ok) scenario.check?.(run.outcome.value, run);
    });
  }
});
