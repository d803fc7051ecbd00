import { useState, type FormEvent } from 'react';
import type { Order } from '../api/types';
import { useCreateOrder } from '../hooks/useCreateOrder';
import { parseAmount } from '../money';
import { AmountField } from './AmountField';
import { ProblemMessage } from './ProblemMessage';

export function CreateOrderForm({ userId, onCreated }: { userId: string; onCreated: (order: Order) => void }) {
  const [amount, setAmount] = useState('');
  const [description, setDescription] = useState('');
  const [invalid, setInvalid] = useState<string>();
  const create = useCreateOrder(onCreated);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseAmount(amount);
    if (!parsed.ok) {
      setInvalid(parsed.reason);
      return;
    }
    setInvalid(undefined);
    create.mutate(
      { userId, amount: parsed.minor, description: description.trim() },
      {
        onSuccess: () => {
          setAmount('');
          setDescription('');
        },
      },
    );
  };

  return (
    <section aria-labelledby="new-order-title" className="card">
      <h2 id="new-order-title">New order</h2>
      <form onSubmit={submit} aria-label="New order" className="inline-form">
        <AmountField id="order-amount" label="Order amount" value={amount} onChange={setAmount} error={invalid} />
        <div className="field">
          <label htmlFor="order-description">Description</label>
          <input
            id="order-description"
            name="order-description"
            value={description}
            maxLength={1000}
            onChange={(event) => setDescription(event.target.value)}
          />
        </div>
        <button type="submit" disabled={create.isPending}>
          {create.isPending ? 'Placing…' : 'Place order'}
        </button>
        <ProblemMessage error={create.error} />
      </form>
    </section>
  );
}
