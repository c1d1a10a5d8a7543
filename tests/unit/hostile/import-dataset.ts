/**
 * Entry script of the hostile suite: imports one dataset ZIP the way the training worker does
 * (importDatasetZip) and prints `ok <classes> <samples>`, or the typed error on one line (exit 1).
 */
import { readFileSync } from 'node:fs';
import { ReefError } from '../../../src/lib/errors.ts';
import { importDatasetZip } from '../../../src/lib/store/index.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: import-dataset.ts <dataset.zip>');
try {
  const snapshot = await importDatasetZip(new Uint8Array(readFileSync(file)));
  console.log(`ok ${snapshot.classes.length} ${snapshot.samples.length}`);
} catch (error) {
  if (!(error instanceof ReefError)) throw error;
  console.error(`import: ${error.message} [${error.code}${error.reason ? `/${error.reason}` : ''}]`);
  process.exitCode = 1;
}
