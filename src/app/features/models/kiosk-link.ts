/**
 * Kiosk links (`/?kiosk&model=…`): what the Models page copies for a catalog entry or a stored
 * model, and what the kiosk resolves (catalog id, file name or sha256).
 */
export function kioskLink(model: string, task?: string, origin = location.origin): string {
  const params = new URLSearchParams({ model });
  if (task) params.set('task', task);
  // `kiosk` is a bare flag; URLSearchParams would write `kiosk=`.
  return `${origin}/?kiosk&${params.toString()}`;
}

/** Copies to the clipboard; says so, or gives the link to copy by hand when the browser refuses. */
export async function copyKioskLink(link: string): Promise<{ ok: boolean; text: string }> {
  try {
    await navigator.clipboard.writeText(link);
    return { ok: true, text: 'Kiosk link copied.' };
  } catch {
    return { ok: false, text: `Copy this link by hand: ${link}` };
  }
}
