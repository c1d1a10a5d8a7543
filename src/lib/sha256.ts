/** The one sha256-to-hex helper: pins, cache keys and firmware checks all compare these strings. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // subtle.digest refuses views of a SharedArrayBuffer (threaded WASM memory): hash a copy then.
  const owned = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  const digest = await crypto.subtle.digest('SHA-256', owned);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
