export function Pagination(props: {
  offset: number;
  limit: number;
  total: number;
  onOffset: (offset: number) => void;
}) {
  const { offset, limit, total, onOffset } = props;
  const page = Math.floor(offset / limit) + 1;
  const pages = Math.max(1, Math.ceil(total / limit));
  return (
    <nav className="pagination" aria-label="Order pages">
      <button type="button" onClick={() => onOffset(Math.max(0, offset - limit))} disabled={offset === 0}>
        Previous
      </button>
      <span data-testid="page-info">
        Page {page} of {pages} · {total} {total === 1 ? 'order' : 'orders'}
      </span>
      <button type="button" onClick={() => onOffset(offset + limit)} disabled={offset + limit >= total}>
        Next
      </button>
    </nav>
  );
}
