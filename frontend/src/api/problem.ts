// Errors from the API: RFC 9457 problem details, turned into one typed error.

/** The problem body the gateway sends (`application/problem+json`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  correlation_id?: string;
  field?: string;
}

/** Codes the client makes up when there is no problem body to read. */
export type ClientErrorCode = 'NETWORK' | 'BAD_RESPONSE';

/** Any failed API call. `code` is the problem's code, or a client code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly correlationId: string | undefined;
  readonly field: string | undefined;

  constructor(init: {
    status: number;
    code: string;
    detail: string;
    correlationId?: string | undefined;
    field?: string | undefined;
  }) {
    super(init.detail);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.correlationId = init.correlationId;
    this.field = init.field;
  }

  /** A 4xx: sending the same request again will not help. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Reads a problem body; anything that is not one gives `undefined`. */
export function asProblem(body: unknown): Problem | undefined {
  if (!isRecord(body)) return undefined;
  const code = text(body.code);
  const status = typeof body.status === 'number' ? body.status : undefined;
  if (!code || status === undefined) return undefined;
  return {
    type: text(body.type) ?? 'about:blank',
    title: text(body.title) ?? '',
    status,
    code,
    detail: text(body.detail) ?? text(body.title) ?? code,
    correlation_id: text(body.correlation_id),
    field: text(body.field),
  };
}

/** The error for a response that failed with `body` (parsed JSON or text). */
export function errorFromResponse(response: Response, body: unknown): ApiError {
  const problem = asProblem(body);
  const correlationId = response.headers.get('x-correlation-id') ?? undefined;
  if (problem) {
    return new ApiError({
      status: response.status,
      code: problem.code,
      detail: problem.detail,
      correlationId: problem.correlation_id ?? correlationId,
      field: problem.field,
    });
  }
  const reason = response.statusText ? ` ${response.statusText}` : '';
  return new ApiError({
    status: response.status,
    code: 'BAD_RESPONSE',
    detail: `the server answered ${response.status}${reason} without details`,
    correlationId,
  });
}

/** The error for a request that never got an answer. */
export function networkError(cause: unknown): ApiError {
  const why = cause instanceof Error && cause.message ? ` (${cause.message})` : '';
  return new ApiError({
    status: 0,
    code: 'NETWORK',
    detail: `could not reach the server${why}; check your connection and try again`,
  });
}

/** A sentence for people, for any error a query or mutation may throw. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const field = error.field ? `${error.field}: ` : '';
    const detail = error.field && error.detail.startsWith(`${error.field}:`)
      ? error.detail.slice(error.field.length + 1).trim()
      : error.detail;
    return `${field}${detail}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
