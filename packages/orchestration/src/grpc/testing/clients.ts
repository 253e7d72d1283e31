// Real nice-grpc clients for tests of the gRPC surface: one channel, a client per tasker.v1 service plus the
// standard health service, and a client middleware that turns a failed call into a GrpcCallError carrying
// the AppError code from the `error-code` trailer.
import { ERROR_CODE_TRAILER, RETRY_AFTER_TRAILER, errorCodeFromGrpc, type ErrorCode } from '@tasker/shared/errors';
import { AnalyticsServiceDefinition } from '@tasker/shared/gen/tasker/v1/analytics';
import { ConfigServiceDefinition } from '@tasker/shared/gen/tasker/v1/config';
import { DlqServiceDefinition } from '@tasker/shared/gen/tasker/v1/dlq';
import { ScheduleServiceDefinition } from '@tasker/shared/gen/tasker/v1/schedules';
import { HealthServiceDefinition } from '@tasker/shared/gen/tasker/v1/health';
import { StepServiceDefinition } from '@tasker/shared/gen/tasker/v1/steps';
import { TaskServiceDefinition } from '@tasker/shared/gen/tasker/v1/tasks';
import { TemplateServiceDefinition } from '@tasker/shared/gen/tasker/v1/templates';
import { WorkerServiceDefinition } from '@tasker/shared/gen/tasker/v1/workers';
import {
  ChannelCredentials,
  ClientError,
  Metadata,
  Status,
  createChannel,
  createClientFactory,
  type CallOptions,
  type ClientMiddlewareCall,
} from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { ERROR_DETAILS_TRAILER } from '@tasker/shared/errors';

/** A failed call, decoded the way clients decode it: status, AppError code, retry-after, details. */
export class GrpcCallError extends Error {
  override readonly name = 'GrpcCallError';
  constructor(
    readonly status: Status,
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterSeconds: number | null,
    readonly details: Record<string, unknown> | null,
    readonly trailer: Metadata | undefined,
  ) {
    super(message);
  }
}

async function* decodeErrors<Request, Response>(call: ClientMiddlewareCall<Request, Response>, options: CallOptions) {
  let trailer: Metadata | undefined;
  try {
    return yield* call.next(call.request, {
      ...options,
      onTrailer(t) {
        trailer = t;
        options.onTrailer?.(t);
      },
    });
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

export interface TaskerClientOptions {
  /** Default: insecure (plaintext h2c). */
  credentials?: ChannelCredentials;
  /** Sent with every call (e.g. `authorization`). */
  metadata?: Record<string, string>;
  /** Channel options, e.g. `grpc.ssl_target_name_override`. */
  channelOptions?: Record<string, string | number>;
}

export function createTaskerClients(address: string, options: TaskerClientOptions = {}) {
  const channel = createChannel(
    address,
    options.credentials ?? ChannelCredentials.createInsecure(),
    options.channelOptions,
  );
  const factory = createClientFactory().use(decodeErrors);
  const defaults = options.metadata === undefined ? {} : { '*': { metadata: Metadata(options.metadata) } };
  return {
    channel,
    tasks: factory.create(TaskServiceDefinition, channel, defaults),
    steps: factory.create(StepServiceDefinition, channel, defaults),
    templates: factory.create(TemplateServiceDefinition, channel, defaults),
    analytics: factory.create(AnalyticsServiceDefinition, channel, defaults),
    dlq: factory.create(DlqServiceDefinition, channel, defaults),
    schedules: factory.create(ScheduleServiceDefinition, channel, defaults),
    health: factory.create(HealthServiceDefinition, channel, defaults),
    config: factory.create(ConfigServiceDefinition, channel, defaults),
    workers: factory.create(WorkerServiceDefinition, channel, defaults),
    grpcHealth: factory.create(HealthDefinition, channel, defaults),
    close: () => channel.close(),
  };
}

export type TaskerClients = ReturnType<typeof createTaskerClients>;

/** Awaits `call` and returns the GrpcCallError it fails with; throws if it succeeds. */
export async function grpcErrorOf(call: Promise<unknown> | (() => Promise<unknown>)): Promise<GrpcCallError> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (err) {
    if (err instanceof GrpcCallError) return err;
    throw err;
  }
  throw new Error('expected the gRPC call to fail');
}
