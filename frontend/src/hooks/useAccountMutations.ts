import { useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import { queryKeys } from '../api/queries';
import type { Account } from '../api/types';
import { useIdempotentMutation } from './useIdempotentMutation';

export function useOpenAccount() {
  const client = useQueryClient();
  return useIdempotentMutation(
    (userId: string, key: string) =>
      unwrap(api.POST('/api/payments/account', { body: { user_id: userId }, params: { header: { 'Idempotency-Key': key } } })),
    (account: Account) => client.setQueryData(queryKeys.balance(account.user_id), account),
  );
}

export function useTopUp() {
  const client = useQueryClient();
  return useIdempotentMutation(
    ({ userId, amount }: { userId: string; amount: number }, key: string) =>
      unwrap(api.POST('/api/payments/topup', { body: { user_id: userId, amount }, params: { header: { 'Idempotency-Key': key } } })),
    (account: Account) => client.setQueryData(queryKeys.balance(account.user_id), account),
  );
}
