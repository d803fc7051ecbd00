// GET /api/orders/{id}/trace: the order's spans across the services, read
// from Jaeger by the gateway, through the typed client. The shapes are the
// generated `OrderTrace` and `TraceSpan` (`./types`).

import { api, unwrap, type ApiClient } from './client';
import { ApiError } from './problem';
import type { OrderTrace } from './types';

/** 503: the gateway has no Jaeger to ask (no `JAEGER_QUERY_URL`). */
export const TRACING_DISABLED = 'TRACING_DISABLED';
/** 404: the order exists but its spans have not reached Jaeger yet. */
export const TRACE_NOT_FOUND = 'TRACE_NOT_FOUND';

export function fetchTrace(orderId: string, client: ApiClient = api): Promise<OrderTrace> {
  return unwrap(client.GET('/api/orders/{id}/trace', { params: { path: { id: orderId } } }));
}

export function isTracingDisabled(error: unknown): boolean {
  return error instanceof ApiError && error.code === TRACING_DISABLED;
}

export function isTraceNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.code === TRACE_NOT_FOUND;
}

/** How many times TRACE_NOT_FOUND is asked again before it is shown. */
export const TRACE_NOT_FOUND_RETRIES = 4;

/**
 * Whether to ask again after a failure (TanStack Query's `retry`:
 * `failureCount` is 0 after the first failure). Spans are exported in batches within seconds, so TRACE_NOT_FOUND is worth a
 * few more tries; tracing being off is an answer, and other 4xx will not
 * change; anything else (Jaeger or the network failing) gets two more tries.
 */
export function shouldRetryTrace(failureCount: number, error: unknown): boolean {
  if (isTraceNotFound(error)) return failureCount < TRACE_NOT_FOUND_RETRIES;
  if (isTracingDisabled(error)) return false;
  if (error instanceof ApiError && error.isClientError) return false;
  return failureCount < 2;
}

/** The delay before the next try (`retryDelay`): 1 s, 2 s, then 4 s. */
export function traceRetryDelay(failureCount: number): number {
  return Math.min(4000, 1000 * 2 ** failureCount);
}
