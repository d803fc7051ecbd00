import { useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { queryKeys } from '../api/queries';
import type { Order } from '../api/types';
import { useIdempotentMutation } from './useIdempotentMutation';

export interface NewOrder {
  userId: string;
  amount: number;
  description: string;
}

export function useCreateOrder(onCreated: (order: Order) => void) {
  const client = useQueryClient();
  return useIdempotentMutation(
    ({ userId, amount, description }: NewOrder, key: string) =>
      unwrap(
        api.POST('/api/orders', {
          body: { user_id: userId, amount, description },
          params: { header: { 'Idempotency-Key': key } },
        }),
      ),
    (order: Order) => {
      client.setQueryData(queryKeys.order(order.id), order);
      void client.invalidateQueries({ queryKey: queryKeys.orders(order.user_id) });
      onCreated(order);
    },
  );
}
