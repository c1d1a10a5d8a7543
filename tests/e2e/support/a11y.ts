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

/**
 * Elements that stick out past the viewport's right edge (sideways scrolling on a phone); empty when
 * the page fits. Content inside a horizontal scroller (wide tables) does not count.
 */
export function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    if (document.documentElement.scrollWidth <= innerWidth) return [];
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('body *')) {
      if (el.getBoundingClientRect().right <= innerWidth + 1) continue;
      let scroller = el.parentElement;
      while (scroller && getComputedStyle(scroller).overflowX === 'visible') scroller = scroller.parentElement;
      if (scroller && scroller !== document.body && scroller.getBoundingClientRect().right <= innerWidth + 1) continue;
      out.push(`${el.tagName.toLowerCase()}.${el.className} “${(el.textContent ?? '').trim().slice(0, 40)}”`);
    }
    return out.slice(0, 10);
  });
}
