import { LiveOrder } from './LiveOrder';

/** The orders placed in this visit, watched until final. */
export function PlacedOrders({ ids, onOpen }: { ids: string[]; onOpen: (id: string) => void }) {
  if (ids.length === 0) return null;
  return (
    <section aria-labelledby="placed-title" className="card">
      <h2 id="placed-title">Just placed</h2>
      <ul className="plain" aria-live="polite">
        {ids.map((id) => <LiveOrder key={id} id={id} onOpen={onOpen} />)}
      </ul>
    </section>
  );
}
