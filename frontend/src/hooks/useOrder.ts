import { useQuery } from '@tanstack/react-query';
import { fetchOrder, queryKeys } from '../api/queries';

export function useOrder(id: string) {
  return useQuery({ queryKey: queryKeys.order(id), queryFn: () => fetchOrder(id) });
}
