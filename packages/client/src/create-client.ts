import { createGrpcClient } from './grpc/client.js';
import { resolveOptions, type ClientOptions } from './options.js';
import { createRestClient } from './rest/client.js';
import type { TaskerClient } from './types.js';

/**
 * Creates a client for one orchestration deployment. Both transports expose the same operations, take and
 * return the same domain types, and fail with the same {@link TaskerError} codes.
 *
 * @example
 * const client = createClient({ transport: 'grpc', address: ['orch-1:9190', 'orch-2:9190'], apiKey });
 * const task = await client.tasks.create({ namespace: 'billing', name: 'invoice', version: '1.0.0',
 *   context: { invoice_id: 42 }, initiator: 'me', sourceSystem: 'docs', reason: 'example' });
 * for await (const event of client.tasks.watch(task.taskUuid)) console.log(event.type, event.taskState);
 * await client.close();
 *
 * @throws TypeError when the options are unusable (unknown transport, malformed address).
 */
export function createClient(options: ClientOptions): TaskerClient {
  const resolved = resolveOptions(options);
  return resolved.transport === 'rest' ? createRestClient(resolved) : createGrpcClient(resolved);
}
