// How a worker gets its orchestration client: the one it was given, or a new one from the connection options.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createClient } from '@tasker/client';
import type { TaskerClient } from '@tasker/client/types';
import type { WorkerOptions } from './types.js';

export function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** `owned`: the worker created the client and closes it on stop. */
export function connectOrchestration(options: WorkerOptions['orchestration']): {
  client: TaskerClient;
  owned: boolean;
} {
  if ('client' in options) return { client: options.client, owned: false };
  const addresses = options.addresses ?? (options.address !== undefined ? [options.address] : []);
  if (addresses.length === 0) throw new Error('orchestration: set address or addresses');
  const creds = options.credentials ?? {};
  const client = createClient({
    transport: options.transport,
    address: addresses.length === 1 ? (addresses[0] as string) : addresses,
    ...(creds.apiKey !== undefined ? { apiKey: creds.apiKey } : {}),
    ...(creds.token !== undefined ? { token: creds.token } : {}),
  });
  return { client, owned: true };
}
