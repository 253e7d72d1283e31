import { z } from 'zod';
import { COUNT_LIMITS, TEXT_LIMITS } from '../../domain/limits.js';
import { TimestampSchema, UuidSchema, named, text } from './common.js';

const namespaces = z.array(text(TEXT_LIMITS.namespace)).max(COUNT_LIMITS.apiKeyNamespaces).nullable();

export const CreateApiKeyRequestSchema = named(
  'CreateApiKeyRequest',
  z.strictObject({
    description: text(TEXT_LIMITS.apiKeyDescription).describe('What the key is for; its subject when used'),
    permissions: z
      .array(text(TEXT_LIMITS.apiKeyPermission))
      .max(COUNT_LIMITS.apiKeyPermissions)
      .describe('Permissions or `<resource>:*` wildcards; only grants the caller holds itself'),
    namespaces: namespaces.optional().describe('null or absent = every namespace; [] = none'),
    expires_at: TimestampSchema.nullable().optional().describe('Must lie in the future; null or absent = never'),
  }),
);
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequestSchema>;

export const ApiKeySchema = named(
  'ApiKey',
  z.object({
    key_uuid: UuidSchema,
    description: z.string(),
    permissions: z.array(z.string()),
    namespaces: z.array(z.string()).nullable().describe('null = every namespace'),
    created_at: TimestampSchema,
    expires_at: TimestampSchema.nullable(),
    revoked_at: TimestampSchema.nullable(),
    last_used_at: TimestampSchema.nullable().describe('Recorded at most once a minute'),
  }),
  'A stored API key, without its secret',
);
export type ApiKeyResponse = z.infer<typeof ApiKeySchema>;

export const CreatedApiKeyResponseSchema = named(
  'CreatedApiKey',
  z.object({
    key: z.string().describe('The plain key, shown this once: send it in the API-key header'),
    api_key: ApiKeySchema,
  }),
);
export type CreatedApiKeyResponse = z.infer<typeof CreatedApiKeyResponseSchema>;

export const ApiKeyListResponseSchema = named('ApiKeyList', z.object({ api_keys: z.array(ApiKeySchema) }));
export type ApiKeyListResponse = z.infer<typeof ApiKeyListResponseSchema>;

export const RevokedApiKeyResponseSchema = named('RevokedApiKey', z.object({ api_key: ApiKeySchema }));
export type RevokedApiKeyResponse = z.infer<typeof RevokedApiKeyResponseSchema>;

export const ApiKeyParamsSchema = z.object({ key_uuid: UuidSchema });
