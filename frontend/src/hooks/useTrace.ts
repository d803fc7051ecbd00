import { useQuery } from '@tanstack/react-query';
import { ApiError } from '../api/problem';
import { queryKeys } from '../api/queries';
import { fetchTrace } from '../api/trace';

export function useTrace(orderId: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.trace(orderId),
    queryFn: () => fetchTrace(orderId),
    enabled,
    retry: (count, error) => !(error instanceof ApiError && error.isClientError) && count < 2,
  });
}
