/**
 * An image dropped on the Models page is not stored there: it is handed to the Live page, which
 * runs the chosen model on it. Held here between the two pages (same tab, no copy in storage).
 */
let offered: File | undefined;

const IMAGE_NAME = /\.(bmp|png|jpe?g|gif|webp)$/i;

/** An image by its type or name; the worker still checks the bytes of anything else. */
export function looksLikeImage(file: File): boolean {
  return file.type.startsWith('image/') || IMAGE_NAME.test(file.name);
}

export function offerImageToLive(file: File): void {
  offered = file;
}

/** The offered image, once: a later visit to Live starts as usual. */
export function takeOfferedImage(): File | undefined {
  const file = offered;
  offered = undefined;
  return file;
}
