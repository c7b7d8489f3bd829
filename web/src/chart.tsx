/**
 * A small bar chart (SVG, no library) of a rate over the last minutes, with its numbers also in
 * text: the caption says the current and the highest value, so the chart is never the only way
 * to read them.
 */

export interface Point {
  t: number;
  v: number;
}

export function Chart(props: { title: string; points: Point[]; format: (v: number) => string; windowMs: number; id: string }) {
  const { points } = props;
  // Up to the full window, but never less than a minute: a chart opened a few seconds ago is
  // not a thin sliver at its right edge.
  const span = points.length ? points[points.length - 1].t - points[0].t + 2000 : 0;
  const windowMs = Math.min(props.windowMs, Math.max(60_000, span));
  const W = 300;
  const H = 100;
  const BASE = H - 4;
  const now = points.length ? points[points.length - 1].t : Date.now();
  const peak = points.length ? Math.max(...points.map((p) => p.v)) : undefined;
  const scale = Math.max(peak ?? 0, 1e-9);
  const x = (t: number) => W - ((now - t) / windowMs) * W;
  const y = (v: number) => BASE - (v / scale) * (BASE - 12);
  const current = points.length ? points[points.length - 1].v : undefined;
  const minutes = Math.round(windowMs / 60_000);
  const summary =
    current === undefined ? 'no samples yet' : `now ${props.format(current)}, highest ${props.format(peak ?? 0)} in the last ${minutes} minutes (${points.length} samples)`;
  return (
    <figure class="chart" aria-labelledby={`${props.id}-cap`}>
      <figcaption id={`${props.id}-cap`}>
        <span>{props.title}</span>
        <span class="muted" data-testid={`${props.id}-now`}>
          {current === undefined ? '…' : `now ${props.format(current)}`}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`${props.title}: ${summary}`}>
        <line class="chart-axis" x1="0" y1={BASE} x2={W} y2={BASE} />
        <line class="chart-axis" x1="0" y1={y(scale)} x2={W} y2={y(scale)} stroke-dasharray="3 3" />
        {/* One bar per sampling interval: sparse samples stay visible and honest (no interpolation). */}
        {points.map((p, i) => {
          const from = i > 0 ? points[i - 1].t : p.t - 2000;
          const x0 = Math.max(0, x(from));
          const w = Math.max(1, x(p.t) - x0 - 0.5);
          return p.v > 0 ? <rect key={p.t} class="chart-bar" x={x0.toFixed(1)} y={y(p.v).toFixed(1)} width={w.toFixed(1)} height={(BASE - y(p.v)).toFixed(1)} /> : null;
        })}
      </svg>
      <p class="muted chart-summary">
        Peak {props.format(peak ?? 0)} · last {minutes} min, sampled by this page
      </p>
    </figure>
  );
}

/** Per-second rates between consecutive counter samples; a counter that went down (restart) counts as 0. */
export function rates(samples: { t: number; v: number }[]): Point[] {
  const out: Point[] = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i].t - samples[i - 1].t) / 1000;
    const dv = samples[i].v - samples[i - 1].v;
    if (dt > 0) out.push({ t: samples[i].t, v: dv >= 0 ? dv / dt : 0 });
  }
  return out;
}
