// The shapes the SPA works with, in one place, all generated from the
// gateway's OpenAPI document (`openapi.json` → `schema.d.ts`).

import type { components } from './schema';

type Schemas = components['schemas'];

export type Order = Schemas['Order'];
export type OrderStatus = Order['status'];
export type OrderPage = Schemas['OrderPage'];
export type Account = Schemas['Account'];
export type OrderTrace = Schemas['OrderTrace'];
export type TraceSpan = Schemas['TraceSpan'];

/** FINISHED and CANCELLED never change again. */
export function isFinal(status: OrderStatus): boolean {
  return status === 'FINISHED' || status === 'CANCELLED';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const STATUSES: readonly OrderStatus[] = ['NEW', 'FINISHED', 'CANCELLED'];

const isString = (value: unknown): value is string => typeof value === 'string';
const isOptionalString = (value: unknown) => value === undefined || value === null || typeof value === 'string';

/**
 * Reads the data of one event of `GET /api/orders/{id}/events`: exactly the
 * Order JSON of `GET /api/orders/{id}`. Only the fields the SPA uses are
 * checked; anything else gives `undefined`.
 */
export function parseOrderEvent(data: string): Order | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const ok =
    isString(value.id) &&
    isString(value.user_id) &&
    STATUSES.includes(value.status as OrderStatus) &&
    typeof value.amount === 'number' &&
    isString(value.description) &&
    isString(value.created_at) &&
    isString(value.updated_at) &&
    isOptionalString(value.failure_reason) &&
    isOptionalString(value.trace_id) &&
    isOptionalString(value.correlation_id);
  return ok ? (value as Order) : undefined;
}
