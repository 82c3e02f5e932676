// A time budget for one detector on one file. Detectors are synchronous tree walks and
// evaluations, so the budget is cooperative: the evaluators' step functions (and detectors' loops)
// call `checkDeadline()`, which throws `DeadlineExceeded` once the budget is spent; the caller
// abandons that detector for that file and keeps every other result. A clock read costs ~50 ns, so
// the clock is read once every 256 checks only.
export class DeadlineExceeded extends Error {
  constructor(readonly budgetMs: number) {
    super(`took over ${budgetMs} ms`);
    this.name = 'DeadlineExceeded';
  }
}

let deadline = Infinity;
let budget = 0;
let counter = 0;

/** Throws DeadlineExceeded when the running budget is spent (cheap: reads the clock 1 call in 256). */
export function checkDeadline(): void {
  if (deadline === Infinity || (++counter & 255) !== 0) return;
  if (performance.now() > deadline) throw new DeadlineExceeded(budget);
}

/** Rethrows a DeadlineExceeded caught by a catch-all (an evaluator turning errors into "unknown"). */
export function rethrowDeadline(e: unknown): void {
  if (e instanceof DeadlineExceeded) throw e;
}

/** Runs `fn` with a budget of `ms` (none when undefined); nested budgets keep the earlier deadline. */
export function withDeadline<T>(ms: number | undefined, fn: () => T): T {
  if (ms === undefined || !Number.isFinite(ms)) return fn();
  const saved = deadline;
  const savedBudget = budget;
  const mine = performance.now() + ms;
  if (mine < deadline) {
    deadline = mine;
    budget = ms;
  }
  counter = 255; // the first check reads the clock
  try {
    const r = fn();
    // a budget spent in the last few steps still counts
    if (performance.now() > deadline) throw new DeadlineExceeded(budget);
    return r;
  } finally {
    deadline = saved;
    budget = savedBudget;
  }
}
