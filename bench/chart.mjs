/** An SVG chart of delivery p99 against offered rate, per scenario, bare relay beside Relay. */

const W = 320;
const H = 240;
const PAD = { left: 48, right: 12, top: 28, bottom: 36 };
const COLORS = { bare: '#888', relay: '#1f6feb' };

const esc = (s) => String(s).replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]);

function panel(title, series, x0) {
  const points = series.flatMap((s) => s.steps);
  if (points.length === 0) return '';
  const maxX = Math.max(...points.map((p) => p.rate)) * 1.05;
  const yMin = 1;
  const yMax = 10_000;
  const sx = (x) => x0 + PAD.left + (x / maxX) * (W - PAD.left - PAD.right);
  const sy = (y) => {
    const v = Math.min(yMax, Math.max(yMin, y ?? yMax));
    return PAD.top + (1 - Math.log10(v / yMin) / Math.log10(yMax / yMin)) * (H - PAD.top - PAD.bottom);
  };
  const out = [`<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-weight="bold">${esc(title)}</text>`];
  for (const y of [1, 10, 100, 1000, 10000]) {
    out.push(`<line x1="${sx(0)}" x2="${sx(maxX)}" y1="${sy(y)}" y2="${sy(y)}" stroke="#eee"/>`);
    out.push(`<text x="${sx(0) - 4}" y="${sy(y) + 4}" text-anchor="end">${y}</text>`);
  }
  out.push(
    `<line x1="${sx(0)}" x2="${sx(maxX)}" y1="${sy(100)}" y2="${sy(100)}" stroke="#d33" stroke-dasharray="4 3"/>`,
  );
  for (const frac of [0, 0.5, 1]) {
    const x = Math.round(maxX * frac);
    out.push(`<text x="${sx(x)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${x}</text>`);
  }
  out.push(`<text x="${x0 + W / 2}" y="${H - 6}" text-anchor="middle">offered msg/s</text>`);
  for (const s of series) {
    const pts = s.steps.map((p) => `${sx(p.rate).toFixed(1)},${sy(p.deliveryMs.p99).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${COLORS[s.kind]}" stroke-width="2" points="${pts}"/>`);
    for (const p of s.steps) {
      out.push(
        `<circle cx="${sx(p.rate).toFixed(1)}" cy="${sy(p.deliveryMs.p99).toFixed(1)}" r="3" fill="${p.passed ? COLORS[s.kind] : '#d33'}"/>`,
      );
    }
  }
  return out.join('\n');
}

export function chart(report) {
  const first = report.results[0];
  const names = [
    ['direct', 'direct messages'],
    ['hot', 'hot group'],
    ['fanout', 'group fan-out'],
  ].filter(([n]) => Object.values(first).some((r) => r.scenarios[n]?.steps));
  const width = Math.max(1, names.length) * W;
  const body = names
    .map(([n, title], i) =>
      panel(
        title,
        Object.values(first)
          .filter((r) => r.scenarios[n]?.steps)
          .map((r) => ({ kind: r.kind, steps: r.scenarios[n].steps })),
        i * W,
      ),
    )
    .join('\n');
  const legend = Object.entries(COLORS)
    .map(
      ([k, c], i) =>
        `<rect x="${8 + i * 110}" y="${H + 6}" width="12" height="12" fill="${c}"/><text x="${24 + i * 110}" y="${H + 16}">${k === 'bare' ? 'bare relay' : 'Relay'}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 28}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="${width - 8}" y="${H + 16}" text-anchor="end">delivery p99 (ms, log scale); red dots: failed steps; dashed: 100 ms</text>
${body}
${legend}
</svg>
`;
}
