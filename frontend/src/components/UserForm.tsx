import { useEffect, useState, type FormEvent } from 'react';

const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Says who the user is; the id is remembered across reloads. */
export function UserForm({ userId, onChange }: { userId: string; onChange: (id: string) => void }) {
  const [draft, setDraft] = useState(userId);
  const [error, setError] = useState('');
  useEffect(() => setDraft(userId), [userId]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const id = draft.trim();
    if (!USER_ID.test(id)) {
      setError('1 to 64 letters, digits, _ or -');
      return;
    }
    setError('');
    onChange(id);
  };

  return (
    <form className="user-form" onSubmit={submit} aria-label="Who you are">
      <label htmlFor="user-id">User id</label>
      <input
        id="user-id"
        name="user-id"
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
        autoComplete="username"
        aria-invalid={error !== ''}
        aria-describedby={error ? 'user-id-error' : undefined}
      />
      <button type="submit">Use</button>
      {error && (
        <p className="problem" role="alert" id="user-id-error">
          {error}
        </p>
      )}
    </form>
  );
}
