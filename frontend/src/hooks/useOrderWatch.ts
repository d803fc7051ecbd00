import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { fetchOrder, queryKeys } from '../api/queries';
import { isFinal, type Order } from '../api/types';
import { watchOrder, type Transport } from '../stream/watchOrder';

/**
 * Keeps the cached order `id` live until it is final (stream, or polling
 * with backoff), then refreshes the balance and the order list.
 * Returns how it is followed, or undefined once there is nothing to follow.
 */
export function useOrderWatch(order: Order | undefined): Transport | undefined {
  const client = useQueryClient();
  const [transport, setTransport] = useState<Transport>();
  const id = order?.id;
  const userId = order?.user_id;
  const final = order ? isFinal(order.status) : true;

  useEffect(() => {
    if (!id || !userId || final) return undefined;
    const stop = watchOrder(
      id,
      {
        onOrder: (next) => {
          client.setQueryData(queryKeys.order(id), next);
          if (isFinal(next.status)) {
            setTransport(undefined);
            void client.invalidateQueries({ queryKey: queryKeys.balance(userId) });
            void client.invalidateQueries({ queryKey: queryKeys.orders(userId) });
          }
        },
        onTransport: setTransport,
      },
      {
        fetchOrder,
        eventSource: typeof EventSource === 'undefined' ? undefined : (url) => new EventSource(url),
      },
    );
    return () => {
      stop();
      setTransport(undefined);
    };
  }, [client, id, userId, final]);

  return transport;
}
