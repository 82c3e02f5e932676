// Figures the probe reports: percentiles over recorded samples, Little's law, and the M/M/c
// (Erlang C) queueing-model estimate shown beside the measurement.

/** Samples recorded into a growable Float64Array (a step records up to its request bound). */
export class Samples {
  private buf: Float64Array;
  private n = 0;
  private sum = 0;
  constructor(initial = 1024) {
    this.buf = new Float64Array(Math.max(16, initial));
  }
  push(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
    this.sum += v;
  }
  /** The samples recorded so far, as a copy. */
  values(): Float64Array {
    return this.buf.slice(0, this.n);
  }
  pushAll(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.push(values[i]);
  }
  get count(): number {
    return this.n;
  }
  mean(): number | null {
    return this.n ? this.sum / this.n : null;
  }
  /** Nearest-rank percentiles (p in 0..100), computed on one sorted copy. */
  percentiles(ps: number[]): (number | null)[] {
    if (this.n === 0) return ps.map(() => null);
    const sorted = this.buf.slice(0, this.n).sort();
    return ps.map((p) => sorted[Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1))]);
  }
}

export function round(v: number | null, digits = 2): number | null {
  if (v === null || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * Little's law L = λ·W (Little, Operations Research 9(3), 1961): connections busy on average for
 * λ checkouts per second each holding a connection W ms.
 */
export function littlesLaw(lambdaPerSecond: number, holdMs: number): number {
  return (lambdaPerSecond * holdMs) / 1000;
}

/**
 * Erlang C: the probability that an arrival waits in an M/M/c queue with offered load a = λ/μ
 * (in erlangs) and c servers. C(c, a) = (a^c/c! · c/(c-a)) / (Σ_{k<c} a^k/k! + a^c/c! · c/(c-a)),
 * computed with the Erlang B recursion B(0)=1, B(k)=a·B(k-1)/(k + a·B(k-1)), C = c·B/(c - a(1-B)).
 */
export function erlangC(c: number, a: number): number {
  if (a <= 0) return 0;
  if (c <= a) return 1;
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return (c * b) / (c - a * (1 - b));
}

/** Smallest c whose probability of waiting is at most `target` (M/M/c), capped at `limit`. */
export function erlangCServers(a: number, target = 0.05, limit = 10000): number | null {
  if (!(a > 0)) return null;
  for (let c = Math.max(1, Math.ceil(a)); c <= limit; c++) if (erlangC(c, a) <= target) return c;
  return null;
}

/** "10s", "500ms", "1.5s", "2m", or a bare number of seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(text);
  if (!m) return undefined;
  const v = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  return unit === 'ms' ? v : unit === 'm' ? v * 60000 : v * 1000;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms >= 10000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}
