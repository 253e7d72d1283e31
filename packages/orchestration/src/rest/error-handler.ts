// The one translator from thrown errors to REST responses. Every error body has the shape
// {"error":{"code","message","details"?}} with the status from ERROR_TABLE; framework errors (bad JSON,
// media type, body size, schema validation) are mapped onto the same codes so clients see one model.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import {
  AppError,
  errorCodeFromHttpStatus,
  isAppError,
  toErrorBody,
  validationError,
  type ErrorBody,
  type FieldProblem,
} from '@tasker/shared/errors';

const GENERIC_INTERNAL_MESSAGE = 'Internal server error';

/** Where a validation error was found, as clients name it. */
const LOCATION_NAMES: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  message?: string | undefined;
  params?: Record<string, unknown>;
}

/** `body` + ['items', 0, 'sku'] → `body.items[0].sku`. */
export function formatFieldPath(location: string, segments: readonly string[]): string {
  let path = location;
  for (const segment of segments) {
    path += /^\d+$/.test(segment) ? `[${segment}]` : path === '' ? segment : `.${segment}`;
  }
  return path;
}

/** One problem per offending field; an unknown-keys issue names each unknown key. */
export function fieldProblemsFromValidation(location: string, issues: readonly ValidationIssue[]): FieldProblem[] {
  const name = LOCATION_NAMES[location] ?? location;
  const problems: FieldProblem[] = [];
  for (const issue of issues) {
    const segments = issue.instancePath.split('/').filter((s) => s !== '');
    const keys = issue.params?.['keys'];
    if (issue.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
      for (const key of keys)
        problems.push({ path: formatFieldPath(name, [...segments, String(key)]), message: 'unknown field' });
    } else {
      problems.push({ path: formatFieldPath(name, segments), message: issue.message ?? 'invalid value' });
    }
  }
  return problems;
}

/** Fastify's own 4xx errors (parsing, limits) keep their status and get a code from the shared table. */
function frameworkClientError(error: FastifyError): { status: number; appError: AppError } | undefined {
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  const code = errorCodeFromHttpStatus(status);
  let message = error.message;
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      message = `Malformed JSON body: ${error.message}`;
      break;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      message = 'Unsupported media type: send application/json';
      break;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      message = 'Request body is too large';
      break;
    default:
      // secure-json-parse raises a plain SyntaxError with statusCode 400 for malformed JSON.
      if (error instanceof SyntaxError) message = `Malformed JSON body: ${error.message}`;
  }
  const details: Record<string, unknown> = {};
  if (error.code !== undefined && error.code.startsWith('FST_')) details['reason'] = error.code;
  return { status, appError: new AppError(code, message, Object.keys(details).length > 0 ? { details } : {}) };
}

function send(reply: FastifyReply, status: number, error: AppError): FastifyReply {
  if (error.retryAfterSeconds !== undefined && (error.code === 'BACKPRESSURE' || error.code === 'UNAVAILABLE')) {
    reply.header('retry-after', String(Math.max(0, Math.ceil(error.retryAfterSeconds))));
  }
  const body: ErrorBody = toErrorBody(error);
  return reply.code(status).type('application/json; charset=utf-8').serializer(JSON.stringify).send(body);
}

/** Translates any error to the shared error body. Exported for the tests' tiny apps. */
export function handleRestError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isAppError(error)) {
    if (error.code === 'INTERNAL') {
      request.log.error({ err: error }, 'internal error');
      return send(reply, error.httpStatus, new AppError('INTERNAL', GENERIC_INTERNAL_MESSAGE));
    }
    return send(reply, error.httpStatus, error);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const location = (error as { validationContext?: string }).validationContext ?? 'body';
    const appError = validationError(fieldProblemsFromValidation(location, error.validation), 'Invalid request');
    return send(reply, appError.httpStatus, appError);
  }
  if (typeof error === 'object' && error !== null && !isResponseSerializationError(error)) {
    const client = frameworkClientError(error as FastifyError);
    if (client !== undefined) return send(reply, client.status, client.appError);
  }
  request.log.error({ err: error }, 'unhandled error');
  return send(reply, 500, new AppError('INTERNAL', GENERIC_INTERNAL_MESSAGE));
}

/** Installs the error and not-found handlers on `app` (the root instance). */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => handleRestError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    send(reply, 404, new AppError('NOT_FOUND', `Route ${request.method} ${request.url.split('?')[0]} not found`)),
  );
}
