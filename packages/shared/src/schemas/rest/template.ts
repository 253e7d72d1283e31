import { z } from 'zod';
import { BACKOFF_KINDS, IDENTITY_STRATEGIES, STALENESS_ACTIONS, STEP_TYPES } from '../../domain/template.js';
import { COUNT_LIMITS, TEXT_LIMITS } from '../../domain/limits.js';
import { JsonObjectSchema, TimestampSchema, UuidSchema, named, text } from './common.js';

export const TemplateListQuerySchema = z.strictObject({ namespace: text(TEXT_LIMITS.namespace).optional() });

export const TemplateParamsSchema = z.object({
  namespace: text(TEXT_LIMITS.namespace),
  name: text(TEXT_LIMITS.name),
  version: text(TEXT_LIMITS.version),
});

export const TemplateListResponseSchema = named(
  'TemplateList',
  z.object({
    namespaces: z.array(
      z.object({ name: z.string(), description: z.string().nullable(), template_count: z.number().int() }),
    ),
    templates: z.array(
      z.object({
        namespace: z.string(),
        name: z.string(),
        version: z.string(),
        description: z.string().nullable(),
        step_count: z.number().int(),
      }),
    ),
    total_count: z.number().int(),
  }),
);
export type TemplateListResponse = z.infer<typeof TemplateListResponseSchema>;

export const TemplateStepSchema = named(
  'TemplateStep',
  z.object({
    name: z.string(),
    description: z.string().nullable(),
    type: z.enum(STEP_TYPES),
    handler: z.object({
      callable: z.string(),
      method: z.string().nullable(),
      resolver: z.string().nullable(),
      initialization: JsonObjectSchema,
    }),
    dependencies: z.array(z.string()),
    retry: z.object({
      retryable: z.boolean(),
      max_attempts: z.number().int(),
      backoff: z.enum(BACKOFF_KINDS),
      backoff_base_ms: z.number(),
      max_backoff_ms: z.number(),
      jitter: z.number(),
    }),
    timeout_seconds: z.number().nullable(),
    result_schema: JsonObjectSchema.nullable(),
  }),
);

/** A registered template: the normalised definition plus the configuration as registered. */
export const TemplateResponseSchema = named(
  'Template',
  z.object({
    template_uuid: UuidSchema,
    namespace: z.string(),
    name: z.string(),
    version: z.string(),
    description: z.string().nullable(),
    identity_strategy: z.enum(IDENTITY_STRATEGIES),
    input_schema: JsonObjectSchema.nullable(),
    lifecycle: z
      .object({
        max_duration_minutes: z.number().nullable(),
        max_waiting_for_dependencies_minutes: z.number().nullable(),
        max_waiting_for_retry_minutes: z.number().nullable(),
        max_steps_in_process_minutes: z.number().nullable(),
        staleness_action: z.enum(STALENESS_ACTIONS).nullable(),
        auto_fail_on_timeout: z.boolean().nullable(),
        auto_dlq_on_timeout: z.boolean().nullable(),
      })
      .nullable(),
    metadata: JsonObjectSchema.nullable(),
    steps: z.array(TemplateStepSchema),
    configuration: JsonObjectSchema,
    content_hash: z.string(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  }),
);
export type TemplateResponse = z.infer<typeof TemplateResponseSchema>;

/** A template as YAML text (`{"yaml": "..."}`) or as a JSON object in the YAML template format. */
export const TemplateSourceSchema = named(
  'TemplateSource',
  z.union([z.strictObject({ yaml: z.string().min(1) }), JsonObjectSchema]),
  'A template object, or {"yaml": "<template YAML>"}',
);
export type TemplateSource = z.infer<typeof TemplateSourceSchema>;

export const TemplateValidationResponseSchema = named(
  'TemplateValidation',
  z.object({
    valid: z.boolean(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
);
export type TemplateValidationResponse = z.infer<typeof TemplateValidationResponseSchema>;

/** POST /v1/templates. */
export const RegisterTemplatesRequestSchema = named(
  'RegisterTemplatesRequest',
  z.strictObject({
    templates: z.array(TemplateSourceSchema).min(1).max(COUNT_LIMITS.templates),
    force: z.boolean().default(false).describe('Overwrite a registered version whose content changed'),
  }),
);
export type RegisterTemplatesRequest = z.infer<typeof RegisterTemplatesRequestSchema>;

export const RegisterTemplatesResponseSchema = named(
  'TemplateRegistrations',
  z.object({
    registrations: z.array(
      z.object({
        namespace: z.string(),
        name: z.string(),
        version: z.string(),
        outcome: z.enum(['created', 'unchanged', 'updated']),
        warnings: z
          .array(z.object({ path: z.string(), message: z.string() }))
          .describe(
            "Accepted, but worth a look (a step limit the task's maximum lifetime cuts short); judged against the server's config",
          ),
      }),
    ),
  }),
);
export type RegisterTemplatesResponse = z.infer<typeof RegisterTemplatesResponseSchema>;
