// Driving VS Code 1.100's workbench the way a person does: keyboard shortcuts, the quick input,
// the Problems panel, hovers and the light bulb menu. Selectors from the workbench's own DOM.
import type { Locator, Page } from 'playwright-core';
import { waitUntil } from './code-server';

export class Workbench {
  constructor(readonly page: Page) {}

  /** Ctrl+P, the file's name, Enter; waits until its tab is the active one. */
  async openFile(relPath: string): Promise<void> {
    const page = this.page;
    const name = relPath.split('/').pop()!;
    await this.focusWorkbench();
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(relPath);
    // The first row must be the file itself, not a fuzzy neighbour (.env vs .env.staging).
    await waitUntil(`quick open to offer ${relPath}`, async () => {
      const first = page.locator('.quick-input-widget .monaco-list-row').first();
      const label = (await first.getAttribute('aria-label')) ?? '';
      return label.startsWith(`${name},`) || label.startsWith(`${name} `) || label === name;
    }, 30_000, async () => (await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts()).join(' | '));
    await page.keyboard.press('Enter');
    await waitUntil(`the editor tab for ${relPath}`, async () => {
      const active = page.locator('.tabs-container .tab.active');
      return (await active.getAttribute('aria-label'))?.startsWith(name) ?? false;
    }, 30_000);
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').waitFor({ state: 'visible' });
  }

  /** Focuses the active editor group's text (clicking the first line's end). */
  async focusEditor(): Promise<void> {
    await this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click({ position: { x: 5, y: 5 } });
  }

  /** Gives the workbench keyboard focus without moving an editor's cursor. */
  async focusWorkbench(): Promise<void> {
    await this.page.locator('.monaco-workbench').focus().catch(() => undefined);
  }

  /** Runs a command from the command palette by its title as shown there ("pool-lint: Show pools"). */
  async runCommand(title: string): Promise<void> {
    const page = this.page;
    await page.keyboard.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await page.keyboard.press('Enter');
  }

  /** Titles the command palette offers for a search, after it settles. */
  async paletteEntries(search: string): Promise<string[]> {
    const page = this.page;
    await page.keyboard.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${search}`);
    await page.waitForTimeout(1500);
    const rows = await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts();
    await page.keyboard.press('Escape');
    return rows.map((r) => r.replace(/\s+/g, ' ').trim());
  }

  /** Opens the Problems panel (Ctrl+Shift+M) and returns its rows' text, one string a row. */
  async problems(): Promise<string[]> {
    const page = this.page;
    if (!(await page.locator('.markers-panel').isVisible().catch(() => false))) {
      await page.keyboard.press('Control+Shift+M');
      await page.locator('.markers-panel').waitFor({ state: 'visible' });
    }
    return (await page.locator('.markers-panel .monaco-list-row').allInnerTexts()).map((r) => r.replace(/\s+/g, ' ').trim());
  }

  /** Waits until a Problems row matches every pattern, and returns it. */
  async waitForProblem(patterns: RegExp[], timeoutMs = 60_000): Promise<string> {
    return waitUntil(`a Problems row matching ${patterns.join(' and ')}`, async () => (await this.problems()).find((r) => patterns.every((p) => p.test(r))), timeoutMs, async () => (await this.problems()).join(' | '));
  }

  /** Waits until no Problems row matches every pattern. */
  async waitForNoProblem(patterns: RegExp[], timeoutMs = 60_000): Promise<void> {
    await waitUntil(`no Problems row matching ${patterns.join(' and ')}`, async () => !(await this.problems()).some((r) => patterns.every((p) => p.test(r))), timeoutMs, async () => (await this.problems()).join(' | '));
  }

  /** Squiggles (warning or error) drawn in the active editor. */
  squiggles(): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor .squiggly-warning, .editor-group-container.active .monaco-editor .squiggly-error, .editor-group-container.active .monaco-editor .squiggly-info');
  }

  /** Ctrl+G to a 1-based line (and column). */
  async goToLine(line: number, column = 1): Promise<void> {
    const page = this.page;
    await this.focusEditor();
    await page.keyboard.press('Control+G');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`:${line}:${column}`);
    await page.keyboard.press('Enter');
    await waitUntil(`the cursor at line ${line}`, async () => /Ln (\d+)/.exec((await this.statusText()) ?? '')?.[1] === String(line), 15_000, async () => this.statusText());
  }

  /** The status bar's text (Ln/Col and the extensions' items). */
  async statusText(): Promise<string> {
    return (await this.page.locator('.statusbar').innerText()).replace(/\s+/g, ' ');
  }

  /** The text of the status bar item whose text or label matches. */
  async statusItem(pattern: RegExp): Promise<string | undefined> {
    for (const t of await this.page.locator('.statusbar .statusbar-item').allInnerTexts()) if (pattern.test(t)) return t.replace(/\s+/g, ' ').trim();
    return undefined;
  }

  /** The active editor's text as Monaco renders it (visible lines only). */
  async visibleText(): Promise<string> {
    return (await this.page.locator('.editor-group-container.active .monaco-editor .view-lines').innerText()).replace(/\u00a0/g, ' ');
  }

  /**
   * Hovers `token` where it first appears inside `context` in the active editor (Monaco merges
   * same-coloured tokens into one span, so the word is found in the text nodes) and returns the
   * hover's text and how many tables it holds.
   */
  async hover(token: string, context = token): Promise<{ text: string; tables: number }> {
    const page = this.page;
    const find = `(() => {
      const root = document.querySelector('.editor-group-container.active .monaco-editor .view-lines');
      if (!root) return null;
      const context = ${JSON.stringify(context)}, token = ${JSON.stringify(token)};
      const clean = (t) => (t || '').replace(/\u00a0/g, ' ');
      for (const line of root.querySelectorAll('.view-line')) {
        if (!clean(line.textContent).includes(context)) continue;
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const at = clean(n.textContent).indexOf(token);
          if (at < 0) continue;
          const r = document.createRange();
          r.setStart(n, at);
          r.setEnd(n, at + token.length);
          const b = r.getBoundingClientRect();
          return { x: b.x, y: b.y, width: b.width, height: b.height };
        }
      }
      return null;
    })()`;
    const where = async () => ((await page.evaluate(find)) as { x: number; y: number; width: number; height: number } | null) ?? undefined;
    await waitUntil(`'${context}' in the editor`, where, 30_000, () => this.visibleText());
    const hover = page.locator('.monaco-hover:not(.hidden)').first();
    // Each try finds the word again (CodeLens and inlay hints arriving move the lines), moves off
    // it and back on, and waits for the hover.
    return waitUntil(`a hover over ${token}`, async () => {
      const box = await where();
      if (!box) return undefined;
      await page.mouse.move(box.x - 40, box.y + 250, { steps: 2 });
      await page.waitForTimeout(300);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
      await hover.waitFor({ state: 'visible', timeout: 8_000 });
      const text = await hover.innerText();
      if (!text.trim() || /Loading/.test(text)) return undefined;
      return { text, tables: await page.locator('.monaco-hover:not(.hidden) table').count() };
    }, 60_000);
  }

  /** Opens the quick fix menu (Ctrl+.) at the cursor and returns its rows' titles. */
  async quickFixes(): Promise<string[]> {
    const page = this.page;
    await page.keyboard.press('Control+.');
    const rows = page.locator('.action-widget .monaco-list-row');
    await rows.first().waitFor({ state: 'visible', timeout: 30_000 });
    await page.waitForTimeout(300);
    return (await rows.allInnerTexts()).map((r) => r.replace(/\s+/g, ' ').trim());
  }

  /** With the quick fix menu open, moves to the row whose title matches (arrow keys) and presses Enter. */
  async applyQuickFix(title: RegExp): Promise<string> {
    const page = this.page;
    const rows = page.locator('.action-widget .monaco-list-row');
    const target = rows.filter({ hasText: title }).first();
    await target.waitFor({ state: 'visible' });
    const want = Number(await target.getAttribute('data-index'));
    await waitUntil(`the quick fix '${title.source}' focused`, async () => {
      const focused = page.locator('.action-widget .monaco-list-row.focused').first();
      const at = (await focused.count()) ? Number(await focused.getAttribute('data-index')) : -1;
      if (at === want) return true;
      await page.keyboard.press(at < want ? 'ArrowDown' : 'ArrowUp');
      return false;
    }, 15_000);
    const text = (await target.innerText()).trim();
    await page.keyboard.press('Enter');
    await page.locator('.action-widget').waitFor({ state: 'hidden', timeout: 15_000 }).catch(() => undefined);
    return text;
  }
}
