// The HTML report's SVG charts, laid out by a real browser (Debian's Chromium through
// playwright-core): the legend, the capacity and recommended markers' labels and the title never
// overlap one another and stay inside the chart, wherever the capacity falls on the axis. Each
// report is also saved as a PNG under test-results/probe-chart/ to look at.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { chromium, type Browser } from 'playwright-core';
import { toHtml } from '../server/src/probe/render';
import type { PgProbeReport, StepResult } from '../server/src/probe/pg';
import { REPO } from './helpers/fixtures';

const OUT = path.join(REPO, 'test-results', 'probe-chart');
const CHROMIUM = process.env.POOL_LINT_CHROMIUM ?? '/usr/bin/chromium';

function step(concurrency: number, capacity: number, throughput: number, p99: number, wait99: number): StepResult {
  return {
    concurrency,
    capacity,
    durationMs: 5000,
    requests: Math.round(throughput * 5),
    throughput,
    latencyMs: { p50: p99 / 2, p95: p99 * 0.9, p99, mean: p99 / 2 },
    acquireWaitMs: { p50: wait99 / 3, p99: wait99, max: wait99 * 1.2 },
    holdMs: 5,
    acquireTimeouts: 0,
    waitingAtEnd: 0,
    serverErrors: { count: 0, tooManyClients: 0, samples: [] },
    maxOpen: Math.min(concurrency, capacity),
  };
}

/** A report whose steps run 1..maxStep with the capacity and recommendation at the given places. */
function report(capacity: number, recommended: number, maxStep: number): PgProbeReport {
  const steps: StepResult[] = [];
  for (let c = 1; c <= maxStep; c *= 2) steps.push(step(c, capacity, 190 * Math.min(c, capacity), 5 + Math.max(0, c - capacity) * 6, Math.max(0, c - capacity) * 5.5));
  if (!steps.some((s) => s.concurrency === capacity)) steps.push(step(capacity, capacity, 190 * capacity, 6, 0.1));
  steps.sort((a, b) => a.concurrency - b.concurrency);
  return {
    version: 1,
    kind: 'postgresql',
    target: { url: 'postgresql://app@127.0.0.1:5432/app', host: '127.0.0.1', port: 5432, database: 'app', user: 'app' },
    limits: { capacity, capacityHow: 'pool_size', acquireTimeoutMs: 30000, acquireTimeoutHow: 'default', lifetimeS: null, library: 'sqlalchemy', probeCapacity: capacity } as PgProbeReport['limits'],
    workload: { kind: 'hold', holdMs: 5, description: 'hold a connection 5 ms per request' },
    session: { applicationName: 'pool-lint-probe', readOnly: true, statementTimeoutMs: 5005 },
    steps,
    confirmation: [],
    recommendation: { capacity: recommended, reason: 'test', peakThroughput: 190 * capacity, expectedConcurrency: { value: 50, how: 'default' }, littlesLaw: null, queueingModel: null, notes: [] },
    errors: [],
    leftOpen: 0,
    complete: true,
    startedAt: '2026-12-01T00:00:00.000Z',
    durationMs: 30000,
  };
}

interface Box {
  kind: string;
  text: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('probe report: chart layout in a browser', function () {
  this.timeout(120000);
  let browser: Browser;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set POOL_LINT_CHROMIUM)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
    fs.mkdirSync(OUT, { recursive: true });
  });

  after(async () => {
    await browser?.close();
  });

  // the capacity at the right end (the reported overlap: the legend sat over its label), in the
  // middle, at the left end, and capacity and recommendation side by side
  const cases: [string, number, number, number][] = [
    ['capacity-right', 10, 10, 8],
    ['capacity-middle', 10, 10, 40],
    ['capacity-left', 1, 1, 4],
    ['capacity-and-recommended-adjacent', 16, 8, 64],
    ['recommended-right-of-capacity', 4, 8, 16],
  ];
  for (const [name, capacity, recommended, maxStep] of cases) {
    it(`${name}: legend, marker labels and title do not intersect and stay inside the chart`, async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      try {
        await page.route('**/*', (r) => (r.request().url().startsWith('data:') || r.request().url() === 'about:blank' ? r.continue() : r.abort()));
        const html = toHtml(report(capacity, recommended, maxStep));
        await page.setContent(html);
        const charts = (await page.evaluate(`[...document.querySelectorAll('svg.chart')].filter((s) => s.querySelector('.legend')).map((svg) => {
          const r = svg.getBoundingClientRect();
          const box = (el, kind) => { const b = el.getBoundingClientRect(); return { kind, text: el.textContent, x: b.x - r.x, y: b.y - r.y, w: b.width, h: b.height }; };
          const legend = [...svg.querySelectorAll('.legend-item')].map((g) => box(g, 'legend'));
          const markers = [...svg.querySelectorAll('text.marker')].map((t) => box(t, 'marker'));
          const title = [...svg.querySelectorAll('text.title')].map((t) => box(t, 'title'));
          const plot = [...svg.querySelectorAll('.plot-area')].map((t) => box(t, 'plot'));
          return { title: svg.getAttribute('aria-label'), width: r.width, height: r.height, boxes: [...legend, ...markers, ...title], plot: plot[0] };
        })`)) as { title: string; width: number; height: number; boxes: Box[]; plot: Box }[];
        assert.strictEqual(charts.length, 2, 'two line charts with legends');
        await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
        for (const c of charts) {
          assert.ok(c.boxes.filter((b) => b.kind === 'legend').length >= 1, `${c.title}: a legend`);
          assert.ok(c.boxes.some((b) => b.kind === 'marker' && b.text === `capacity ${capacity}`), `${c.title}: the capacity label`);
          for (const b of c.boxes) {
            assert.ok(b.w > 0 && b.h > 0, `${c.title}: ${b.kind} '${b.text}' is drawn`);
            assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= c.width + 0.5 && b.y + b.h <= c.height + 0.5, `${c.title}: ${b.kind} '${b.text}' (${JSON.stringify(b)}) lies outside the ${c.width}x${c.height} chart`);
            // labels sit above the plot area, where no line or point is drawn
            assert.ok(b.y + b.h <= c.plot.y + 0.5, `${c.title}: ${b.kind} '${b.text}' reaches into the plot area (${JSON.stringify(b)} vs ${JSON.stringify(c.plot)})`);
          }
          for (let i = 0; i < c.boxes.length; i++)
            for (let j = i + 1; j < c.boxes.length; j++) {
              const [a, b] = [c.boxes[i], c.boxes[j]];
              assert.ok(!overlaps(a, b), `${c.title}: ${a.kind} '${a.text}' ${JSON.stringify(a)} overlaps ${b.kind} '${b.text}' ${JSON.stringify(b)}`);
            }
        }
      } finally {
        await page.close();
      }
    });
  }
});
