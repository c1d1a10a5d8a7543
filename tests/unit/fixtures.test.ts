import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixtureNames, readFixture, rawUrl } from '../support/fixtures.ts';

describe('fixtures', () => {
  it('every manifest entry resolves to the bytes its sha256 names', async () => {
    for (const name of fixtureNames(() => true)) {
      const bytes = await readFixture(name);
      expect(bytes.length, name).toBe(FIXTURES[name].size);
      expect(createHash('sha256').update(bytes).digest('hex'), name).toBe(FIXTURES[name].sha256);
    }
  });

  it('builds pinned raw URLs from repo, commit and path', () => {
    expect(rawUrl(FIXTURES['apex_latest_single_ep.bin'])).toBe(
      'https://raw.githubusercontent.com/google-coral/libedgetpu/e35aed18fea2e2d25d98352e5a5bd357c170bd4d/driver/usb/apex_latest_single_ep.bin',
    );
  });
});
