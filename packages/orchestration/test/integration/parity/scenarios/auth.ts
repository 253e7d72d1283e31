// API key administration: create, list, revoke, and the refusals (unknown key, unknown permission).
import type { CreateApiKeyInput, CreatedApiKey } from '@tasker/shared';
import {
  apiKeyListFromProto,
  createApiKeyInputToProto,
  createdApiKeyFromProto,
  revokeApiKeyRequestToProto,
  revokedApiKeyFromProto,
} from '@tasker/shared/convert/proto/index';
import {
  apiKeyListFromRest,
  createApiKeyInputToRest,
  createdApiKeyFromRest,
  revokedApiKeyFromRest,
} from '@tasker/shared/convert/rest/index';
import { ERROR_CODE_TRAILER, RETRY_AFTER_TRAILER, errorCodeFromGrpc } from '@tasker/shared/errors';
import { AuthServiceDefinition } from '@tasker/shared/gen/tasker/v1/auth';
import {
  ApiKeyListResponseSchema,
  CreatedApiKeyResponseSchema,
  RevokedApiKeyResponseSchema,
} from '@tasker/shared/schemas/rest/index';
import {
  ClientError,
  Metadata,
  createClientFactory,
  type CallOptions,
  type Channel,
  type ClientMiddlewareCall,
} from 'nice-grpc';
import { ERROR_DETAILS_TRAILER } from '@tasker/shared/errors';
import { GrpcCallError } from '../../../../src/grpc/testing/clients.js';
import { MISSING_UUID, PARITY_NAMESPACE } from '../fixtures.js';
import { grpcOutcome } from '../grpc-outcome.js';
import { restOutcome } from '../rest-client.js';
import type { Outcome, ParityContext, Scenario } from '../types.js';

async function* decodeErrors<Req, Res>(call: ClientMiddlewareCall<Req, Res>, options: CallOptions) {
  let trailer: Metadata | undefined;
  try {
    return yield* call.next(call.request, { ...options, onTrailer: (t) => ((trailer = t), options.onTrailer?.(t)) });
  } catch (err) {
    if (!(err instanceof ClientError)) throw err;
    const retryAfter = trailer?.get(RETRY_AFTER_TRAILER);
    const details = trailer?.get(ERROR_DETAILS_TRAILER);
    throw new GrpcCallError(
      err.code,
      errorCodeFromGrpc(err.code, trailer?.get(ERROR_CODE_TRAILER)?.toString()),
      err.details,
      retryAfter === undefined ? null : Number(retryAfter),
      details instanceof Uint8Array ? (JSON.parse(new TextDecoder().decode(details)) as Record<string, unknown>) : null,
      trailer,
    );
  }
}

/**
 * An AuthService client on `channel` whose failures are GrpcCallErrors, like the other clients of
 * createTaskerClients (which does not include AuthService yet).
 */
export function authClientOf(channel: Channel, metadata?: Record<string, string>) {
  const defaults = metadata === undefined ? {} : { '*': { metadata: Metadata(metadata) } };
  return createClientFactory().use(decodeErrors).create(AuthServiceDefinition, channel, defaults);
}

const keyInput = (ctx: ParityContext, overrides: Partial<CreateApiKeyInput> = {}): CreateApiKeyInput => ({
  description: `parity key ${ctx.token}`,
  permissions: ['tasks:read', 'dlq:*'],
  namespaces: [PARITY_NAMESPACE],
  expiresAt: new Date(Date.now() + 3_600_000),
  ...overrides,
});

/** Setup through the service; every key a run creates is revoked afterwards. */
async function createKey(ctx: ParityContext, overrides: Partial<CreateApiKeyInput> = {}): Promise<CreatedApiKey> {
  const created = await ctx.services.apiKeys.create(ctx.principal, keyInput(ctx, overrides));
  ctx.cleanup(() => ctx.services.apiKeys.revoke(ctx.principal, created.apiKey.keyUuid));
  return created;
}

function revokeCreatedAfterwards(ctx: ParityContext, outcome: Outcome): Outcome {
  if (outcome.ok) {
    const { apiKey } = outcome.value as CreatedApiKey;
    ctx.cleanup(() => ctx.services.apiKeys.revoke(ctx.principal, apiKey.keyUuid));
  }
  return outcome;
}

/** Only this run's keys: the table also holds the other transport's. */
const ownKeys = (ctx: ParityContext) => (keys: Array<{ description: string }>) =>
  keys.filter((k) => k.description.includes(ctx.token));

/** Keeps a VALIDATION_FAILED only when it names `field`; anything else stays as it was. */
const naming =
  (field: string) =>
  (outcome: Outcome): Outcome =>
    !outcome.ok && outcome.code === 'VALIDATION_FAILED' && !outcome.message.includes(field)
      ? { ok: false, code: 'INTERNAL', message: `VALIDATION_FAILED without naming ${field}: ${outcome.message}` }
      : outcome;

const UNKNOWN_GRANT: Partial<CreateApiKeyInput> = { permissions: ['tasks:read', 'tasks:obliterate'] };

export const AUTH_SCENARIOS: Scenario[] = [
  {
    name: 'create an API key',
    restCall: 'POST /v1/auth/keys',
    grpcCall: 'AuthService.CreateApiKey',
    expect: 'ok',
    rest: async (ctx) => {
      const res = await ctx.rest.call('POST', '/v1/auth/keys', { json: createApiKeyInputToRest(keyInput(ctx)) });
      return revokeCreatedAfterwards(ctx, restOutcome(res, CreatedApiKeyResponseSchema, createdApiKeyFromRest));
    },
    grpc: async (ctx) =>
      revokeCreatedAfterwards(
        ctx,
        await grpcOutcome(
          authClientOf(ctx.grpc.channel).createApiKey(createApiKeyInputToProto(keyInput(ctx))),
          createdApiKeyFromProto,
        ),
      ),
    // The plain key differs per run by design.
    normalise: (value) => ({ ...(value as object), key: '<key>' }),
    check: (value) => {
      const created = value as CreatedApiKey;
      if (!/^tsk_[A-Za-z0-9_-]{43}$/.test(created.key)) throw new Error(`unexpected key format ${created.key}`);
      if (created.apiKey.revokedAt !== null || created.apiKey.namespaces?.[0] !== PARITY_NAMESPACE)
        throw new Error('key stored wrongly');
    },
  },
  {
    name: 'list API keys',
    restCall: 'GET /v1/auth/keys',
    grpcCall: 'AuthService.ListApiKeys',
    expect: 'ok',
    rest: async (ctx) => {
      await createKey(ctx, { namespaces: null, expiresAt: null });
      return restOutcome(await ctx.rest.call('GET', '/v1/auth/keys'), ApiKeyListResponseSchema, (b) =>
        ownKeys(ctx)(apiKeyListFromRest(b)),
      );
    },
    grpc: async (ctx) => {
      await createKey(ctx, { namespaces: null, expiresAt: null });
      return grpcOutcome(authClientOf(ctx.grpc.channel).listApiKeys({}), (r) => ownKeys(ctx)(apiKeyListFromProto(r)));
    },
    check: (value) => {
      const keys = value as Array<Record<string, unknown>>;
      if (keys.length !== 1 || keys[0]?.['namespaces'] !== null || 'key' in (keys[0] ?? {}))
        throw new Error(`unexpected list ${JSON.stringify(keys)}`);
    },
  },
  {
    name: 'revoke an API key',
    restCall: 'DELETE /v1/auth/keys/{key_uuid}',
    grpcCall: 'AuthService.RevokeApiKey',
    expect: 'ok',
    rest: async (ctx) => {
      const { apiKey } = await createKey(ctx, { namespaces: [] });
      const res = await ctx.rest.call('DELETE', `/v1/auth/keys/${apiKey.keyUuid}`);
      return restOutcome(res, RevokedApiKeyResponseSchema, revokedApiKeyFromRest);
    },
    grpc: async (ctx) => {
      const { apiKey } = await createKey(ctx, { namespaces: [] });
      return grpcOutcome(
        authClientOf(ctx.grpc.channel).revokeApiKey(revokeApiKeyRequestToProto(apiKey.keyUuid)),
        revokedApiKeyFromProto,
      );
    },
    check: (value) => {
      const key = value as { revokedAt: unknown; namespaces: unknown };
      if (!(key.revokedAt instanceof Date) || !Array.isArray(key.namespaces) || key.namespaces.length !== 0) {
        throw new Error(`unexpected revoked key ${JSON.stringify(key)}`);
      }
    },
  },
  {
    name: 'revoke an API key that does not exist',
    restCall: 'DELETE /v1/auth/keys/{key_uuid}',
    grpcCall: 'AuthService.RevokeApiKey',
    expect: 'NOT_FOUND',
    rest: async (ctx) =>
      restOutcome(
        await ctx.rest.call('DELETE', `/v1/auth/keys/${MISSING_UUID}`),
        RevokedApiKeyResponseSchema,
        revokedApiKeyFromRest,
      ),
    grpc: (ctx) =>
      grpcOutcome(
        authClientOf(ctx.grpc.channel).revokeApiKey(revokeApiKeyRequestToProto(MISSING_UUID)),
        revokedApiKeyFromProto,
      ),
  },
  {
    name: 'create an API key with an unknown permission',
    restCall: 'POST /v1/auth/keys',
    grpcCall: 'AuthService.CreateApiKey',
    expect: 'VALIDATION_FAILED',
    rest: async (ctx) => {
      const res = await ctx.rest.call('POST', '/v1/auth/keys', {
        json: createApiKeyInputToRest(keyInput(ctx, UNKNOWN_GRANT)),
      });
      return naming('permissions[1]')(
        revokeCreatedAfterwards(ctx, restOutcome(res, CreatedApiKeyResponseSchema, createdApiKeyFromRest)),
      );
    },
    grpc: async (ctx) => {
      const call = authClientOf(ctx.grpc.channel).createApiKey(createApiKeyInputToProto(keyInput(ctx, UNKNOWN_GRANT)));
      return naming('permissions[1]')(revokeCreatedAfterwards(ctx, await grpcOutcome(call, createdApiKeyFromProto)));
    },
  },
];
