// Hand-drawn SVG charts for the HTML report and the editor's webview: no library, no network,
// no script. Values are escaped; the output is a string of static markup.

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number | null }[];
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Vertical markers, e.g. the pool's capacity. */
  markers?: { x: number; label: string; color: string }[];
  /** x on a log2 scale (concurrency steps 1, 2, 4, ...). */
  logX?: boolean;
  width?: number;
  height?: number;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  if (v >= 10000) return `${Math.round(v / 1000)}k`;
  if (v >= 1000) return `${(v / 1000).toFixed(1)}k`;
  if (v >= 10) return String(Math.round(v));
  return String(Math.round(v * 100) / 100);
}

/** A conservative width of one 11px character: labels are laid out without a browser to measure them. */
const CHAR_W = 6.8;
const textWidth = (t: string) => t.length * CHAR_W;

/**
 * The line chart. Above the plot area, top to bottom: the title, the legend (one row, wrapping),
 * and a band for the markers' labels (capacity, recommended), each label beside its marker line
 * and moved to a row of its own when it would touch another. Nothing but lines and points is
 * drawn inside the plot area, so no label covers data or another label.
 */
export function lineChart(c: LineChart): string {
  const W = c.width ?? 640;
  const m = { l: 64, r: 20, t: 36, b: 48 };
  const plotH = (c.height ?? 300) - m.t - m.b;
  // the legend's rows
  const legend: { x: number; row: number; s: Series }[] = [];
  let lx = m.l;
  let legendRows = c.series.length ? 1 : 0;
  for (const s of c.series) {
    const w = 18 + textWidth(s.name);
    if (lx + w > W - m.r && lx > m.l) {
      legendRows++;
      lx = m.l;
    }
    legend.push({ x: lx, row: legendRows - 1, s });
    lx += w + 18;
  }
  // baselines: the title's at 20, the legend's rows from 42 (text boxes reach about 12 px above
  // and 4 px below a baseline), the markers' band below the legend
  const legendTop = 42;
  const markerTop = legendTop + Math.max(0, legendRows - 1) * 16 + 8;
  const xs = [...new Set(c.series.flatMap((s) => s.points.map((p) => p.x)).concat((c.markers ?? []).map((k) => k.x)))].sort((a, b) => a - b);
  const ys = c.series.flatMap((s) => s.points.map((p) => p.y).filter((y): y is number => y !== null && Number.isFinite(y)));
  const yMax = niceMax(Math.max(0, ...ys));
  const xMin = xs[0] ?? 0;
  const xMax = xs[xs.length - 1] ?? 1;
  const tx = (x: number) => {
    const f = c.logX ? (Math.log2(x) - Math.log2(xMin)) / Math.max(1e-9, Math.log2(xMax) - Math.log2(xMin)) : (x - xMin) / Math.max(1e-9, xMax - xMin);
    return m.l + (xs.length < 2 ? 0.5 : f) * (W - m.l - m.r);
  };
  // the markers' labels: right of the line, or left of it near the right edge; a row of their own on a clash
  const placed: { k: NonNullable<LineChart['markers']>[number]; x: number; from: number; to: number; anchor: 'start' | 'end'; row: number }[] = [];
  for (const k of c.markers ?? []) {
    const x = tx(k.x);
    const w = textWidth(k.label);
    const right = x + 4 + w <= W - 2;
    const from = right ? x + 4 : x - 4 - w;
    const to = from + w;
    let row = 0;
    while (placed.some((p) => p.row === row && from < p.to + 8 && p.from < to + 8)) row++;
    placed.push({ k, x, from, to, anchor: right ? 'start' : 'end', row });
  }
  const markerRows = placed.length ? Math.max(...placed.map((p) => p.row)) + 1 : 0;
  m.t = markerTop + markerRows * 15 + 6;
  const H = m.t + plotH + m.b;
  const ty = (y: number) => H - m.b - (y / yMax) * (H - m.t - m.b);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(c.title)}" class="chart">`);
  out.push(`<text x="${m.l}" y="20" class="title">${esc(c.title)}</text>`);
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" class="plot-area"/>`);
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${ty(y).toFixed(1)}" y2="${ty(y).toFixed(1)}" class="grid"/>`);
    out.push(`<text x="${m.l - 6}" y="${(ty(y) + 4).toFixed(1)}" text-anchor="end" class="tick">${fmt(y)}</text>`);
  }
  for (const x of xs) out.push(`<text x="${tx(x).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle" class="tick">${fmt(x)}</text>`);
  out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" class="axis"/>`);
  out.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" class="axis"/>`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle" class="label">${esc(c.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle" class="label">${esc(c.yLabel)}</text>`);
  for (const p of placed) {
    const x = p.x.toFixed(1);
    const base = markerTop + p.row * 15 + 11;
    // the line runs up to its label's row, so the label reads as the line's
    out.push(`<line x1="${x}" x2="${x}" y1="${base - 10}" y2="${H - m.b}" stroke="${p.k.color}" stroke-dasharray="5 4" stroke-width="1.5"/>`);
    out.push(`<text x="${(p.anchor === 'start' ? p.x + 4 : p.x - 4).toFixed(1)}" y="${base}" text-anchor="${p.anchor}" class="marker" fill="${p.k.color}">${esc(p.k.label)}</text>`);
  }
  for (const s of c.series) {
    const pts = s.points.filter((p) => p.y !== null && Number.isFinite(p.y));
    if (pts.length === 0) continue;
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${tx(p.x).toFixed(1)},${ty(p.y!).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const p of pts) out.push(`<circle cx="${tx(p.x).toFixed(1)}" cy="${ty(p.y!).toFixed(1)}" r="3" fill="${s.color}"><title>${esc(`${s.name} at ${p.x}: ${fmt(p.y!)}`)}</title></circle>`);
  }
  for (const l of legend) {
    const y = legendTop + l.row * 16;
    out.push(`<g class="legend-item"><rect x="${l.x}" y="${y - 5}" width="12" height="3" fill="${l.s.color}"${l.s.dashed ? ' opacity="0.8"' : ''}/><text x="${l.x + 18}" y="${y}" class="legend">${esc(l.s.name)}</text></g>`);
  }
  out.push('</svg>');
  return out.join('');
}

export interface BarChart {
  title: string;
  unit: string;
  bars: { label: string; value: number; color: string }[];
  width?: number;
}

export function barChart(c: BarChart): string {
  const W = c.width ?? 640;
  const rowH = 28;
  const m = { l: 220, r: 90, t: 34 };
  const H = m.t + c.bars.length * rowH + 10;
  const max = niceMax(Math.max(0, ...c.bars.map((b) => b.value)));
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(c.title)}" class="chart">`];
  out.push(`<text x="8" y="20" class="title">${esc(c.title)}</text>`);
  c.bars.forEach((b, i) => {
    const y = m.t + i * rowH;
    const w = max > 0 ? (b.value / max) * (W - m.l - m.r) : 0;
    out.push(`<text x="${m.l - 8}" y="${y + 17}" text-anchor="end" class="tick">${esc(b.label)}</text>`);
    out.push(`<rect x="${m.l}" y="${y + 4}" width="${Math.max(1, w).toFixed(1)}" height="${rowH - 10}" fill="${b.color}"/>`);
    out.push(`<text x="${(m.l + w + 6).toFixed(1)}" y="${y + 17}" class="tick">${esc(`${fmt(b.value)} ${c.unit}`)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}

/** A terminal bar of `width` cells for value/max, with eighth-block resolution. */
export function termBar(value: number, max: number, width: number): string {
  if (!(max > 0) || !(value > 0)) return '';
  const cells = (value / max) * width;
  const full = Math.floor(cells);
  const part = Math.round((cells - full) * 8);
  return '█'.repeat(full) + (part > 0 ? '▏▎▍▌▋▊▉█'[part - 1] : '');
}
