import type { OrderTrace } from '../api/types';
import { formatDuration, layoutWaterfall, serviceColor } from '../traceLayout';

/** The spans as bars on one time axis, colored by service; spans that recorded an error stand out. */
export function TraceWaterfall({ trace }: { trace: OrderTrace }) {
  const { bars, totalUs, services } = layoutWaterfall(trace.spans);
  const errors = bars.filter((bar) => bar.span.error).length;
  return (
    <div className="waterfall">
      <ul className="legend" aria-label="Services">
        {services.map((service) => (
          <li key={service} data-testid="trace-service">
            <span className="swatch" style={{ background: serviceColor(service, services) }} aria-hidden="true" />
            {service}
          </li>
        ))}
      </ul>
      <p className="trace-total">
        {bars.length} spans over {formatDuration(totalUs)}
        {errors > 0 && <span className="trace-errors"> · {errors} with an error</span>}
      </p>
      <ol className="spans">
        {bars.map(({ span, depth, left, width }) => (
          <li
            key={span.span_id}
            className={span.error ? 'span-row span-error' : 'span-row'}
            data-testid="trace-span"
            data-service={span.service}
            data-error={span.error}
          >
            <div className="span-label" style={{ paddingLeft: `${Math.min(depth, 8) * 0.75}rem` }}>
              {span.error && <span className="span-error-mark" title="this span recorded an error">error</span>}
              <span className="span-service" style={{ color: serviceColor(span.service, services) }}>
                {span.service}
              </span>{' '}
              {span.name}
              <span className="span-kind"> {span.kind}</span>
            </div>
            <div className="span-track" aria-hidden="true">
              <div
                className="span-bar"
                style={{ left: `${left}%`, width: `${width}%`, background: serviceColor(span.service, services) }}
              />
            </div>
            <div className="span-duration">{formatDuration(span.duration_us)}</div>
          </li>
        ))}
      </ol>
    </div>
  );
}
