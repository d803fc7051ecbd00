import { useState, type FormEvent } from 'react';
import { useTopUp } from '../hooks/useAccountMutations';
import { parseAmount } from '../money';
import { AmountField } from './AmountField';
import { ProblemMessage } from './ProblemMessage';

export function TopUpForm({ userId }: { userId: string }) {
  const [amount, setAmount] = useState('');
  const [invalid, setInvalid] = useState<string>();
  const topUp = useTopUp();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseAmount(amount);
    if (!parsed.ok) {
      setInvalid(parsed.reason);
      return;
    }
    setInvalid(undefined);
    topUp.mutate({ userId, amount: parsed.minor }, { onSuccess: () => setAmount('') });
  };

  return (
    <form onSubmit={submit} aria-label="Top up" className="inline-form">
      <AmountField id="topup-amount" label="Top up amount" value={amount} onChange={setAmount} error={invalid} />
      <button type="submit" disabled={topUp.isPending}>
        {topUp.isPending ? 'Adding…' : 'Top up'}
      </button>
      <ProblemMessage error={topUp.error} />
    </form>
  );
}
