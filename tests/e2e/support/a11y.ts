/** Lists visible controls a screen reader would announce without a name (a cheap, strict check). */
import type { Page } from '@playwright/test';

export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const controls = document.querySelectorAll<HTMLElement>('button, select, input, textarea, a[href], [tabindex]');
    const missing: string[] = [];
    for (const el of controls) {
      if (el.hidden || el.getAttribute('type') === 'hidden' || el.closest('[hidden]')) continue;
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      if (el.tagName === 'MAIN') continue;
      const labelledBy = el.getAttribute('aria-labelledby');
      const name =
        el.getAttribute('aria-label') ??
        (labelledBy ? document.getElementById(labelledBy)?.textContent : null) ??
        (el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null) ??
        el.closest('label')?.textContent ??
        (el.tagName === 'INPUT' ? null : el.textContent) ??
        el.getAttribute('title');
      if (!name || !name.trim()) missing.push(el.outerHTML.slice(0, 120));
    }
    return missing;
  });
}

/** True when nothing on the page is wider than the viewport (no sideways scrolling on a phone). */
export function fitsViewport(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= innerWidth);
}
