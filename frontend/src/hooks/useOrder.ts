import { useQuery, useQueryClient } from '@tanstack/react-query';
import { fetchOrder, queryKeys } from '../api/queries';
import { isFinal, type Order } from '../api/types';

/**
 * An order, read once and kept live by its watcher. An order never leaves a
 * final state, so a read that answers NEW after the watcher already wrote
 * FINISHED or CANCELLED (it was in flight while the order settled) keeps the
 * final state instead of undoing it.
 */
export function useOrder(id: string) {
  const client = useQueryClient();
  return useQuery({
    queryKey: queryKeys.order(id),
    queryFn: async () => {
      const fetched = await fetchOrder(id);
      // The cache as it is now, after the read: the watcher may have written.
      return newest(client.getQueryData<Order>(queryKeys.order(id)), fetched);
    },
  });
}

/** `fetched`, unless `cached` is already final and `fetched` is not. */
export function newest(cached: Order | undefined, fetched: Order): Order {
  return cached && isFinal(cached.status) && !isFinal(fetched.status) ? cached : fetched;
}
