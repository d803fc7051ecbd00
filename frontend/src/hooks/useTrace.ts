import { useQuery } from '@tanstack/react-query';
import { queryKeys } from '../api/queries';
import { fetchTrace, shouldRetryTrace, traceRetryDelay } from '../api/trace';

export function useTrace(orderId: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.trace(orderId),
    queryFn: () => fetchTrace(orderId),
    enabled,
    retry: shouldRetryTrace,
    retryDelay: traceRetryDelay,
  });
}
