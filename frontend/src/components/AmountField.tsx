/** A labelled amount in major units (12.50). */
export function AmountField(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
}) {
  const { id, label, value, onChange, error } = props;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={id}
        inputMode="decimal"
        placeholder="12.50"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        required
      />
      {error && (
        <p className="problem" role="alert" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}
