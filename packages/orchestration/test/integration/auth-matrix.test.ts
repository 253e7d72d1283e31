// Issue 9's matrix: every REST route and every RPC × every kind of credential, against one server with auth on
// and the real authenticator. Both transports must give the same verdict for each case: 401/UNAUTHENTICATED,
// 403/PERMISSION_DENIED, or through (and then never a 500/INTERNAL), and namespace-scoped principals see another
// namespace's task as NOT_FOUND.
import { createSecretKey } from 'node:crypto';
import { createChannel, createClient, Metadata, ClientError, Status, type Channel } from 'nice-grpc';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS, type Permission } from '@tasker/shared/permissions';
import { ADMIN_GRANTS } from '../../src/auth/api-keys.js';
import { createApiKey, revokeStoredApiKey } from '../../src/services/api-keys.js';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { mintToken } from '../../src/auth/test-tokens.js';
import { createGrpcServer, type GrpcServer } from '../../src/grpc/server.js';
import { GRPC_METHOD_PERMISSIONS, SERVED_DEFINITIONS } from '../../src/grpc/permissions.js';
import { createMetrics } from '../../src/metrics/index.js';
import { buildRestApp } from '../../src/rest/app.js';
import { REST_ROUTE_PERMISSIONS } from '../../src/rest/permissions.js';
import { findApiKeyByDigest } from '../../src/repositories/api-keys.js';
import { registerFixtureTemplate, startTestRuntime, TEST_PRINCIPAL, type TestRuntime } from './helpers/runtime.js';

const SECRET = 'matrix-secret-0123456789-0123456789-abcdef';
const hsKey = createSecretKey(Buffer.from(SECRET));

type Verdict = 'unauthenticated' | 'denied' | 'through' | 'not_found';
interface Credential {
  headers: Record<string, string>;
}
type CaseName =
  | 'no credential'
  | 'malformed'
  | 'expired'
  | 'wrong issuer'
  | 'wrong audience'
  | 'bad signature'
  | 'alg none'
  | 'valid without the permission'
  | 'valid with it'
  | 'API key'
  | 'revoked key'
  | 'other namespace';

const CASES: readonly CaseName[] = [
  'no credential',
  'malformed',
  'expired',
  'wrong issuer',
  'wrong audience',
  'bad signature',
  'alg none',
  'valid without the permission',
  'valid with it',
  'API key',
  'revoked key',
  'other namespace',
];

let rt: TestRuntime;
let app: FastifyInstance;
let grpc: GrpcServer;
let channel: Channel;
let taskUuid: string;
let stepUuid: string;
let template: { namespace: string; name: string; version: string };
let apiKey: string;
let revokedKey: string;

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function credentialFor(name: CaseName, permission: Permission | 'public'): Promise<Credential> {
  const issuer = rt.config.auth.jwt.issuer;
  const audience = rt.config.auth.jwt.audience;
  const grants = permission === 'public' ? [] : [permission];
  const base = { issuer, audience, subject: 'matrix', permissions: grants };
  switch (name) {
    case 'no credential':
      return { headers: {} };
    case 'malformed':
      return { headers: { authorization: 'Bearer not-a-token' } };
    case 'expired':
      return bearer(await mintToken('HS256', hsKey, { ...base, expiresInSeconds: -3600 }));
    case 'wrong issuer':
      return bearer(await mintToken('HS256', hsKey, { ...base, issuer: 'evil' }));
    case 'wrong audience':
      return bearer(await mintToken('HS256', hsKey, { ...base, audience: 'elsewhere' }));
    case 'bad signature':
      return bearer(await mintToken('HS256', createSecretKey(Buffer.from('x'.repeat(48))), base));
    case 'alg none': {
      const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const exp = Math.floor(Date.now() / 1000) + 600;
      return bearer(
        `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iss: issuer, aud: audience, sub: 'x', exp, permissions: [...PERMISSIONS] })}.`,
      );
    }
    case 'valid without the permission':
      return bearer(
        await mintToken('HS256', hsKey, { ...base, permissions: PERMISSIONS.filter((p) => p !== permission) }),
      );
    case 'valid with it':
      return bearer(await mintToken('HS256', hsKey, base));
    case 'API key':
      return { headers: { 'x-api-key': apiKey } };
    case 'revoked key':
      return { headers: { 'x-api-key': revokedKey } };
    case 'other namespace':
      return bearer(
        await mintToken('HS256', hsKey, { ...base, permissions: [...ADMIN_GRANTS], namespaces: ['another_ns'] }),
      );
  }
}

/** What a case must produce for a route/RPC with `permission` that addresses a task (or not). */
function expected(name: CaseName, permission: Permission | 'public', addressesTask: boolean): Verdict {
  if (permission === 'public') return 'through';
  switch (name) {
    case 'valid without the permission':
      return 'denied';
    case 'valid with it':
    case 'API key':
      return 'through';
    case 'other namespace':
      return addressesTask ? 'not_found' : 'through';
    default:
      return 'unauthenticated';
  }
}

function restVerdict(status: number): Verdict | 'server_error' {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'denied';
  // 503 is an honest answer (e.g. /health/ready while not ready), not a crash.
  if (status >= 500 && status !== 503) return 'server_error';
  if (status === 404) return 'not_found';
  return 'through';
}

function grpcVerdict(code: Status): Verdict | 'server_error' {
  if (code === Status.UNAUTHENTICATED) return 'unauthenticated';
  if (code === Status.PERMISSION_DENIED) return 'denied';
  if (code === Status.INTERNAL || code === Status.UNKNOWN || code === Status.UNIMPLEMENTED) return 'server_error';
  if (code === Status.NOT_FOUND) return 'not_found';
  return 'through';
}

/**
 * 'through' accepts NOT_FOUND when nothing is addressed that exists (an unknown DLQ entry uuid) or when the
 * lookup itself is what is empty (the cancelled task has no DLQ entry); a task addressed by uuid must be found.
 */
function matches(
  actual: Verdict | 'server_error',
  want: Verdict,
  addressesTask: boolean,
  emptyLookup: boolean,
): boolean {
  if (actual === want) return true;
  return want === 'through' && actual === 'not_found' && (!addressesTask || emptyLookup);
}
const EMPTY_LOOKUPS = new Set(['GET /v1/dlq/task/:task_uuid', '/tasker.v1.DlqService/GetEntryByTask']);

/** Valid bodies for writes that address a task, so the namespace check (not validation) decides. */
const BODIES: Record<string, object> = {
  'POST /v1/tasks/:task_uuid/resume': { performed_by: 'matrix', reason: 'matrix' },
  'POST /v1/tasks/:task_uuid/resolve': { performed_by: 'matrix', reason: 'matrix' },
  'POST /v1/dlq/task/:task_uuid': { performed_by: 'matrix', reason: 'matrix' },
  'PATCH /v1/tasks/:task_uuid/workflow_steps/:step_uuid': {
    action_type: 'resolve_manually',
    reason: 'matrix',
    resolved_by: 'matrix',
  },
};

function restUrl(route: string): string {
  return route
    .replace(':task_uuid', taskUuid)
    .replace(':step_uuid', stepUuid)
    .replace(':namespace', template.namespace)
    .replace(':name', template.name)
    .replace(':version', template.version)
    .replace(':dlq_entry_uuid', '01900000-0000-7000-8000-000000000000')
    .replace('*', 'index.css');
}

beforeAll(async () => {
  rt = await startTestRuntime({
    auth: { enabled: true, jwt: { hs256_secret: SECRET, algorithms: ['HS256'] }, api_keys: { enabled: true } },
  });
  const registration = await registerFixtureTemplate(rt.services, 'linear');
  template = registration;
  // A cancelled (terminal) task: its event stream replays and ends, so streaming routes return.
  const task = await rt.services.tasks.create(TEST_PRINCIPAL, {
    namespace: registration.namespace,
    name: registration.name,
    version: registration.version,
    context: { invoice_id: 42 },
    initiator: 'matrix',
    sourceSystem: 'test',
    reason: 'auth matrix',
  });
  taskUuid = task.taskUuid;
  const steps = await rt.services.steps.list(TEST_PRINCIPAL, taskUuid);
  stepUuid = steps[0]!.stepUuid;
  await rt.services.tasks.cancel(TEST_PRINCIPAL, taskUuid, { reason: 'matrix', performedBy: 'matrix' });

  apiKey = (
    await createApiKey(rt.sql, {
      description: 'matrix',
      permissions: [...ADMIN_GRANTS],
      namespaces: null,
      expiresAt: null,
    })
  ).key;
  const revoked = await createApiKey(rt.sql, {
    description: 'revoked',
    permissions: [...ADMIN_GRANTS],
    namespaces: null,
    expiresAt: null,
  });
  revokedKey = revoked.key;
  await revokeStoredApiKey(rt.sql, revoked.row.keyUuid);

  const authenticate = createAuthenticator(rt.config.auth, {
    apiKeys: { findByDigest: (d) => findApiKeyByDigest(rt.sql, d) },
    apiKeyCacheMs: 0,
  });
  app = await buildRestApp(rt.services, rt.config, { authenticate, metrics: createMetrics({ defaultMetrics: false }) });
  await app.ready();
  grpc = createGrpcServer(rt.services, rt.config, { authenticate });
  const { port } = await grpc.listen('127.0.0.1:0');
  channel = createChannel(`127.0.0.1:${port}`);
}, 60_000);

afterAll(async () => {
  channel?.close();
  await grpc?.shutdown();
  await app?.close();
  await rt?.stop();
});

describe('REST routes × credentials', () => {
  const routes = Object.entries(REST_ROUTE_PERMISSIONS) as [string, Permission | 'public'][];
  it.each(CASES)('%s', async (caseName) => {
    const failures: string[] = [];
    for (const [route, permission] of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const credential = await credentialFor(caseName, permission);
      const response = await app.inject({
        method: method as 'GET',
        url: restUrl(path),
        headers: {
          ...credential.headers,
          ...(method === 'GET' || method === 'HEAD' ? {} : { 'content-type': 'application/json' }),
        },
        ...(method === 'GET' || method === 'HEAD' ? {} : { payload: JSON.stringify(BODIES[route] ?? {}) }),
      });
      const addressesTask = path.includes(':task_uuid');
      const want = expected(caseName, permission, addressesTask);
      const got = restVerdict(response.statusCode);
      if (!matches(got, want, addressesTask, EMPTY_LOOKUPS.has(route)))
        failures.push(`${route}: want ${want}, got ${response.statusCode} ${response.body.slice(0, 160)}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('gRPC methods × credentials', () => {
  type AnyMethod = {
    name: string;
    requestStream: boolean;
    responseStream: boolean;
    requestType: { decode(bytes: Uint8Array): object };
  };
  const methods = SERVED_DEFINITIONS.flatMap((def) =>
    Object.entries(def.methods as Record<string, AnyMethod>).map(([key, method]) => ({
      def,
      key,
      method,
      path: `/${def.fullName}/${method.name}`,
    })),
  );

  it('the matrix covers every method in the permission table', () => {
    const table = Object.keys(GRPC_METHOD_PERMISSIONS).filter((p) => !p.startsWith('/grpc.reflection'));
    expect(methods.map((m) => m.path).sort()).toEqual(table.sort());
  });

  it.each(CASES)('%s', async (caseName) => {
    const failures: string[] = [];
    for (const { def, key, method, path } of methods) {
      const permission = GRPC_METHOD_PERMISSIONS[path as keyof typeof GRPC_METHOD_PERMISSIONS] as Permission | 'public';
      const credential = await credentialFor(caseName, permission);
      const metadata = new Metadata(credential.headers);
      const client = createClient(def as never, channel) as Record<string, (req: unknown, opts: object) => unknown>;
      // Valid enough everywhere that the namespace check, not request validation, decides for task-scoped calls.
      const request = {
        taskUuid,
        stepUuid,
        namespace: template.namespace,
        name: template.name,
        version: template.version,
        performedBy: 'matrix',
        reason: 'matrix',
        actionType: 'STEP_MANUAL_ACTION_TYPE_RESOLVE_MANUALLY',
      };
      const call = client[key]!;
      let code: Status = Status.OK;
      const signal = AbortSignal.timeout(5000);
      try {
        if (method.responseStream) {
          // Health Watch never ends by itself: the first message proves the call got through.
          for await (const _ of call(request, { metadata, signal }) as AsyncIterable<unknown>) break;
        } else {
          await call(request, { metadata, signal });
        }
      } catch (err) {
        if (!(err instanceof ClientError)) throw err;
        code = err.code;
      }
      const addressesTask = 'taskUuid' in method.requestType.decode(new Uint8Array(0));
      const want = expected(caseName, permission, addressesTask);
      const got = grpcVerdict(code);
      if (!matches(got, want, addressesTask, EMPTY_LOOKUPS.has(path)))
        failures.push(`${path}: want ${want}, got ${Status[code]}`);
    }
    expect(failures).toEqual([]);
  });
});
