import { ApiError } from '../api/problem';
import { useOpenAccount } from '../hooks/useAccountMutations';
import { useBalance } from '../hooks/useBalance';
import { formatMinor } from '../money';
import { ProblemMessage } from './ProblemMessage';
import { TopUpForm } from './TopUpForm';

export function AccountPanel({ userId }: { userId: string }) {
  const balance = useBalance(userId);
  const open = useOpenAccount();
  const noAccount = balance.error instanceof ApiError && balance.error.code === 'NOT_FOUND';

  return (
    <section aria-labelledby="account-title" className="card">
      <h2 id="account-title">Account</h2>
      {balance.isPending && <p className="loading">Loading the balance…</p>}
      {balance.data && (
        <p className="balance">
          Balance <strong data-testid="balance">{formatMinor(balance.data.balance)}</strong>
          {balance.isFetching && <span className="loading"> (updating…)</span>}
        </p>
      )}
      {noAccount && <p className="empty">You have no account yet.</p>}
      {balance.error && !noAccount && <ProblemMessage error={balance.error} />}
      {(noAccount || open.error) && (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            open.mutate(userId);
          }}
        >
          <button type="submit" disabled={open.isPending}>
            {open.isPending ? 'Opening…' : 'Open an account'}
          </button>
          <ProblemMessage error={open.error} />
        </form>
      )}
      {balance.data && <TopUpForm userId={userId} />}
    </section>
  );
}
