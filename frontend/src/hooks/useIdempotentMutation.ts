import { useMutation, type UseMutationResult } from '@tanstack/react-query';
import { useRef } from 'react';
import { idempotencyKeys } from '../api/idempotency';

/**
 * A mutation whose every call carries an Idempotency-Key: a new one per
 * action, the same one when the same input is submitted again after a failure.
 */
export function useIdempotentMutation<Input, Output>(
  send: (input: Input, key: string) => Promise<Output>,
  onSuccess?: (output: Output, input: Input) => void,
): UseMutationResult<Output, Error, Input> {
  const keys = useRef(idempotencyKeys());
  return useMutation({
    mutationFn: (input: Input) => send(input, keys.current.keyFor(JSON.stringify(input))),
    onSuccess: (output, input) => {
      keys.current.done();
      onSuccess?.(output, input);
    },
  });
}
