import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { queryKeys } from '../api/queries';

export function useBalance(userId: string) {
  return useQuery({
    queryKey: queryKeys.balance(userId),
    queryFn: () => unwrap(api.GET('/api/payments/balance/{userId}', { params: { path: { userId } } })),
    enabled: userId !== '',
  });
}
