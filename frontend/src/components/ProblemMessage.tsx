import { ApiError, describeError } from '../api/problem';

/** An error from the API, readable, next to what caused it. */
export function ProblemMessage({ error, id }: { error: unknown; id?: string }) {
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : undefined;
  return (
    <p className="problem" role="alert" id={id}>
      {describeError(error)}
      {apiError && apiError.code !== 'NETWORK' && (
        <span className="problem-meta">
          {' '}
          ({apiError.code}
          {apiError.correlationId && <>, correlation id <code>{apiError.correlationId}</code></>})
        </span>
      )}
    </p>
  );
}
