// `tasker auth create-key|list-keys|revoke-key`: stored API keys through the admin route / AuthService
// (permission auth:manage_keys). The plain key is printed once, at creation.
import * as rest from '@tasker/shared/convert/rest/index';
import type { Command } from 'commander';
import { action, collect, type CliContext } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { renderFields, renderTable } from '../output.js';

interface CreateFlags {
  description: string;
  permissions?: string[];
  namespaces?: string[];
  expiresAt?: string;
}

/** Adds the key administration commands to `auth`. */
export function registerApiKeyCommands(auth: Command, ctx: CliContext): void {
  auth
    .command('create-key')
    .description('Create a stored API key; the key is printed once (only its SHA-256 digest is stored)')
    .requiredOption('--description <text>', 'who or what the key is for (the principal subject)')
    .option('--permissions <list>', 'permissions, comma-separated or repeated (e.g. tasks:*,steps:read)', collect)
    .option('--namespaces <list>', 'restrict to these namespaces (default: every namespace)', collect)
    .option('--expires-at <time>', 'RFC 3339 expiry (default: never)')
    .action(
      action<CreateFlags>(ctx, async ({ opts, cmd }) => {
        let expiresAt: Date | null = null;
        if (opts.expiresAt !== undefined) {
          expiresAt = new Date(opts.expiresAt);
          if (Number.isNaN(expiresAt.getTime())) throw new UsageError(`--expires-at is not a date: ${opts.expiresAt}`);
        }
        const created = await ctx.clientFor(cmd).apiKeys.create({
          description: opts.description,
          permissions: opts.permissions ?? [],
          namespaces: opts.namespaces ?? null,
          expiresAt,
        });
        const doc = rest.createdApiKeyToRest(created);
        return { document: doc, table: () => renderFields({ key: doc.key, ...doc.api_key }) };
      }),
    );

  auth
    .command('list-keys')
    .description('Stored API keys (never the keys themselves)')
    .action(
      action(ctx, async ({ cmd }) => {
        const doc = rest.apiKeyListToRest(await ctx.clientFor(cmd).apiKeys.list());
        return {
          document: doc,
          table: () =>
            renderTable(doc.api_keys, [
              { header: 'key_uuid', value: (k) => k.key_uuid },
              { header: 'description', value: (k) => k.description },
              { header: 'permissions', value: (k) => k.permissions.join(',') },
              { header: 'namespaces', value: (k) => (k.namespaces === null ? '*' : k.namespaces.join(',')) },
              { header: 'revoked_at', value: (k) => k.revoked_at },
            ]),
        };
      }),
    );

  auth
    .command('revoke-key')
    .description('Revoke a stored API key by its key_uuid')
    .argument('<key_uuid>', 'the key to revoke')
    .action(
      action(ctx, async ({ args: [keyUuid = ''], cmd }) => {
        const doc = rest.revokedApiKeyToRest(await ctx.clientFor(cmd).apiKeys.revoke(keyUuid));
        return { document: doc, table: () => renderFields(doc.api_key) };
      }),
    );
}
