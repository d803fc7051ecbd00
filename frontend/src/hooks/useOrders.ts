import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { queryKeys } from '../api/queries';

export function useOrders(userId: string, limit: number, offset: number) {
  return useQuery({
    queryKey: queryKeys.ordersPage(userId, limit, offset),
    queryFn: () =>
      unwrap(api.GET('/api/orders', { params: { query: { user_id: userId, limit, offset } } })),
    enabled: userId !== '',
    placeholderData: keepPreviousData,
  });
}
