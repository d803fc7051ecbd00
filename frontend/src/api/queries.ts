// Query keys and fetchers shared by the hooks, so invalidation is in one place.

import { api, unwrap } from './client';
import type { Order } from './types';

export const queryKeys = {
  balance: (userId: string) => ['balance', userId] as const,
  orders: (userId: string) => ['orders', userId] as const,
  ordersPage: (userId: string, limit: number, offset: number) => ['orders', userId, limit, offset] as const,
  order: (id: string) => ['order', id] as const,
  trace: (id: string) => ['trace', id] as const,
};

export function fetchOrder(id: string): Promise<Order> {
  return unwrap(api.GET('/api/orders/{id}', { params: { path: { id } } }));
}
