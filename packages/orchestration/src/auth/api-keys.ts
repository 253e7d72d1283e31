// The grants of the dev-mode admin key (services/api-keys.ts sets it up; tests issue admin keys with them).
import { PERMISSION_RESOURCES } from '@tasker/shared/permissions';

/** Every resource wildcard: what the dev admin key carries. */
export const ADMIN_GRANTS: readonly string[] = PERMISSION_RESOURCES.map((r) => `${r}:*`);
