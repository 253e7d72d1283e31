// One nice-grpc channel per orchestration address, typed clients of every tasker.v1 service on each, and the
// call primitives: credentials as metadata, per-attempt deadline, trailer capture, error decoding.
import { AnalyticsServiceDefinition } from '@tasker/shared/gen/tasker/v1/analytics';
import { ConfigServiceDefinition } from '@tasker/shared/gen/tasker/v1/config';
import { AuthServiceDefinition } from '@tasker/shared/gen/tasker/v1/auth';
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
  createClient,
  type CallOptions,
  type Channel,
  type Client,
} from 'nice-grpc';
import { ERROR_CODE_TRAILER } from '@tasker/shared/errors';
import { TaskerError, deadlineError, taskerErrorFromGrpc, unreachableError } from '../errors.js';
import { credentialHeaders, type Endpoint, type ResolvedOptions } from '../options.js';

/** The typed service clients of one channel. */
export interface GrpcServices {
  tasks: Client<typeof TaskServiceDefinition>;
  steps: Client<typeof StepServiceDefinition>;
  templates: Client<typeof TemplateServiceDefinition>;
  workers: Client<typeof WorkerServiceDefinition>;
  dlq: Client<typeof DlqServiceDefinition>;
  schedules: Client<typeof ScheduleServiceDefinition>;
  analytics: Client<typeof AnalyticsServiceDefinition>;
  health: Client<typeof HealthServiceDefinition>;
  config: Client<typeof ConfigServiceDefinition>;
  auth: Client<typeof AuthServiceDefinition>;
}

/** One orchestration address with its channel and service clients. */
export interface Replica {
  endpoint: Endpoint;
  channel: Channel;
  services: GrpcServices;
}

/** Per-call settings of a gRPC attempt. */
export interface GrpcCallSettings {
  /** Deadline of one attempt (default: the client's timeoutMs). */
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

function bytes(value: string | Uint8Array | undefined): Buffer | null {
  return value === undefined ? null : Buffer.from(value);
}

function credentialsFor(options: ResolvedOptions): ChannelCredentials {
  if (options.tls === null) return ChannelCredentials.createInsecure();
  return ChannelCredentials.createSsl(bytes(options.tls.ca), bytes(options.tls.key), bytes(options.tls.cert));
}

/** Channels to every replica, reused for the client's lifetime. */
export class GrpcTransport {
  private readonly replicas: Replica[];
  private cursor = 0;

  constructor(private readonly options: ResolvedOptions) {
    const credentials = credentialsFor(options);
    this.replicas = options.endpoints.map((endpoint) => {
      const channel = createChannel(endpoint.authority, credentials);
      return {
        endpoint,
        channel,
        services: {
          tasks: createClient(TaskServiceDefinition, channel),
          steps: createClient(StepServiceDefinition, channel),
          templates: createClient(TemplateServiceDefinition, channel),
          workers: createClient(WorkerServiceDefinition, channel),
          dlq: createClient(DlqServiceDefinition, channel),
          schedules: createClient(ScheduleServiceDefinition, channel),
          analytics: createClient(AnalyticsServiceDefinition, channel),
          health: createClient(HealthServiceDefinition, channel),
          config: createClient(ConfigServiceDefinition, channel),
          auth: createClient(AuthServiceDefinition, channel),
        },
      };
    });
  }

  /** A start index per call, spreading calls over the replicas. */
  nextStart(): number {
    const start = this.cursor;
    this.cursor = (this.cursor + 1) % this.replicas.length;
    return start;
  }

  /** The replica for attempt `n` of a call that started at `start` (failover moves on to the next one). */
  replica(start: number, n: number): Replica {
    return this.replicas[(start + n) % this.replicas.length] as Replica;
  }

  private metadata(): Metadata {
    const metadata = Metadata();
    for (const [key, value] of Object.entries(credentialHeaders(this.options))) metadata.set(key, value);
    return metadata;
  }

  /**
   * One unary attempt on `replica`: `invoke` gets the replica's services and the call options (credentials,
   * signal, trailer capture). Failures become TaskerError; the caller's abort rethrows its reason.
   */
  async unary<T>(
    replica: Replica,
    settings: GrpcCallSettings,
    invoke: (services: GrpcServices, options: CallOptions) => Promise<T>,
  ): Promise<T> {
    const timeoutMs = settings.timeoutMs ?? this.options.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort(settings.signal?.reason);
    settings.signal?.addEventListener('abort', onAbort, { once: true });
    if (settings.signal?.aborted) onAbort();
    let trailer: Metadata | undefined;
    try {
      return await invoke(replica.services, {
        metadata: this.metadata(),
        signal: controller.signal,
        onTrailer: (t) => {
          trailer = t;
        },
      });
    } catch (error) {
      if (timedOut) throw deadlineError('grpc', replica.endpoint.authority, timeoutMs);
      if (settings.signal?.aborted) throw settings.signal.reason;
      throw this.decode(error, replica, trailer, false);
    } finally {
      clearTimeout(timer);
      settings.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * A server stream on `replica`, items passed through as they come. Ends when the server ends it; the
   * caller's abort rethrows its reason; other failures become TaskerError.
   */
  async *serverStream<T>(
    replica: Replica,
    signal: AbortSignal,
    invoke: (services: GrpcServices, options: CallOptions) => AsyncIterable<T>,
  ): AsyncGenerator<T> {
    let trailer: Metadata | undefined;
    try {
      yield* invoke(replica.services, {
        metadata: this.metadata(),
        signal,
        onTrailer: (t) => {
          trailer = t;
        },
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw this.decode(error, replica, trailer, true);
    }
  }

  /**
   * ClientError → TaskerError. On a stream, a failure our server did not label (no `error-code` trailer:
   * RST_STREAM, a connection torn down mid-stream) is the connection's, so it counts as UNAVAILABLE.
   */
  private decode(error: unknown, replica: Replica, trailer: Metadata | undefined, stream: boolean): TaskerError {
    if (error instanceof ClientError) {
      const labelled = trailer?.get(ERROR_CODE_TRAILER) !== undefined;
      if (stream && !labelled && [Status.INTERNAL, Status.CANCELLED, Status.UNKNOWN].includes(error.code)) {
        return unreachableError('grpc', replica.endpoint.authority, error);
      }
      const decoded = taskerErrorFromGrpc(error.code, error.details, trailer, error);
      return decoded.code === 'UNAVAILABLE' && !labelled
        ? unreachableError('grpc', replica.endpoint.authority, error)
        : decoded;
    }
    if (error instanceof TaskerError) return error;
    return unreachableError('grpc', replica.endpoint.authority, error);
  }

  /** Closes every channel. */
  close(): void {
    for (const r of this.replicas) r.channel.close();
  }
}
