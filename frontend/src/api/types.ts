// The shapes the SPA works with, in one place. Generated ones come from the
// OpenAPI schema; the rest (the event stream, the trace, fields added by other
// work in flight) are read defensively so a changed shape degrades, not breaks.

import type { components } from './schema';

type Schemas = components['schemas'];

/** An order, plus the ids tracing may add. */
export type Order = Schemas['Order'] & {
  trace_id?: string | null;
  correlation_id?: string | null;
};
export type OrderStatus = Order['status'];
export type OrderPage = Schemas['OrderPage'];
export type Account = Schemas['Account'];

/** FINISHED and CANCELLED never change again. */
export function isFinal(status: OrderStatus): boolean {
  return status === 'FINISHED' || status === 'CANCELLED';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const STATUSES: readonly OrderStatus[] = ['NEW', 'FINISHED', 'CANCELLED'];

/** Reads one event of the order stream: the same JSON as GET /api/orders/{id}. */
export function parseOrderEvent(data: string): Order | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  const order = isRecord(value) && isRecord(value.order) ? value.order : value;
  if (!isRecord(order)) return undefined;
  if (typeof order.id !== 'string') return undefined;
  if (!STATUSES.includes(order.status as OrderStatus)) return undefined;
  return order as Order;
}
