import { useQuery } from '@tanstack/react-query';
import { ApiError } from '../api/problem';
import { queryKeys } from '../api/queries';
import { fetchTrace, isTracingDisabled } from '../api/trace';

export function useTrace(orderId: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.trace(orderId),
    queryFn: () => fetchTrace(orderId),
    enabled,
    // Tracing being off is an answer, not a failure to retry.
    retry: (count, error) =>
      !(error instanceof ApiError && error.isClientError) && !isTracingDisabled(error) && count < 2,
  });
}
