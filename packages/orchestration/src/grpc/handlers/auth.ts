// AuthService: stored API key administration. The plain key appears in the CreateApiKey response only.
import {
  apiKeyListToProto,
  createApiKeyInputFromProto,
  createdApiKeyToProto,
  revokeApiKeyRequestFromProto,
  revokedApiKeyToProto,
} from '@tasker/shared/convert/proto/index';
import type { AuthServiceImplementation } from '@tasker/shared/gen/tasker/v1/auth';
import type { ApiKeyService } from '../../services/types.js';
import type { PrincipalContext } from '../context.js';

export function createAuthHandlers(apiKeys: ApiKeyService): AuthServiceImplementation<PrincipalContext> {
  return {
    async createApiKey(req, { principal }) {
      return createdApiKeyToProto(await apiKeys.create(principal, createApiKeyInputFromProto(req)));
    },

    async listApiKeys(_req, { principal }) {
      return apiKeyListToProto(await apiKeys.list(principal));
    },

    async revokeApiKey(req, { principal }) {
      return revokedApiKeyToProto(await apiKeys.revoke(principal, revokeApiKeyRequestFromProto(req)));
    },
  };
}
