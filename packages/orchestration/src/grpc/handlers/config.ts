// ConfigService: the safe configuration view.
import { safeConfigToProto } from '@tasker/shared/convert/proto/index';
import type { ConfigServiceImplementation } from '@tasker/shared/gen/tasker/v1/config';
import type { ConfigService } from '../../services/types.js';
import type { PrincipalContext } from '../context.js';

export function createConfigHandlers(config: ConfigService): ConfigServiceImplementation<PrincipalContext> {
  return {
    async getConfig(_req, { principal }) {
      return safeConfigToProto(await config.safe(principal));
    },
  };
}
