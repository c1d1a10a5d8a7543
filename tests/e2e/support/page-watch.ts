/** Collects what a person would never want to see: console errors, page errors, CSP violations. */
import type { Page } from '@playwright/test';

export interface PageWatch {
  consoleErrors: string[];
  pageErrors: string[];
  cspViolations(): Promise<string[]>;
}

export async function watchPage(page: Page): Promise<PageWatch> {
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // Runs before any page script (injected over CDP, so the CSP does not apply to it).
  await page.addInitScript(() => {
    const store: string[] = [];
    (globalThis as unknown as { __cspViolations: string[] }).__cspViolations = store;
    addEventListener('securitypolicyviolation', (e) => store.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return {
    consoleErrors,
    pageErrors,
    cspViolations: () =>
      page.evaluate(() => (globalThis as unknown as { __cspViolations?: string[] }).__cspViolations ?? []),
  };
}
