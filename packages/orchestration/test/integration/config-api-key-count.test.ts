// GET /config and ConfigService.GetConfig count the API keys that can authenticate: the config file's and the
// ones created through the API (stored in tasker.api_keys), minus revoked and expired ones; none while API keys
// are off. Over the real REST app (port 0) and a real gRPC client on one runtime.
import { safeConfigFromProto } from '@tasker/shared/convert/proto/index';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildRestApp } from '../../src/rest/app.js';
import { closeApp } from '../../src/rest/plumbing.js';
import { useGrpcRuntime } from './helpers/grpc-client.js';
import { TEST_PRINCIPAL } from './helpers/runtime.js';

const CONFIG_KEY = {
  key: 'config-file-key-0123456789',
  permissions: ['tasks:read'],
  description: 'from the config file',
};
const h = useGrpcRuntime({ config: { auth: { enabled: false, api_keys: { keys: [CONFIG_KEY] } } } });
let app: FastifyInstance;
let restUrl: string;

beforeAll(async () => {
  app = await buildRestApp(h.services, h.config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  restUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  if (app !== undefined) await closeApp(app, 1000);
});

async function counts(): Promise<{ rest: unknown; grpc: unknown }> {
  const body = (await (await fetch(`${restUrl}/config`)).json()) as { auth: { api_key_count: number } };
  const safe = safeConfigFromProto(await h.clients.config.getConfig({})) as { auth: { api_key_count: number } };
  return { rest: body.auth.api_key_count, grpc: safe.auth.api_key_count };
}

it('counts the config key and every usable stored key, on both surfaces', async () => {
  expect(await counts()).toEqual({ rest: 1, grpc: 1 });
  const input = { description: 'ci', permissions: ['tasks:read'], namespaces: null, expiresAt: null };
  const a = await h.services.apiKeys.create(TEST_PRINCIPAL, input);
  await h.services.apiKeys.create(TEST_PRINCIPAL, { ...input, expiresAt: new Date(Date.now() + 60_000) });
  expect(await counts()).toEqual({ rest: 3, grpc: 3 });
  await h.services.apiKeys.revoke(TEST_PRINCIPAL, a.apiKey.keyUuid);
  expect(await counts()).toEqual({ rest: 2, grpc: 2 });
  // An expired key cannot authenticate either.
  await h.runtime.sql`UPDATE tasker.api_keys SET expires_at = now() - interval '1 second' WHERE revoked_at IS NULL`;
  expect(await counts()).toEqual({ rest: 1, grpc: 1 });
});
