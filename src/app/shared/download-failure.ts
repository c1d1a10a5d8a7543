/**
 * What a failed download tells a person: what happened in a few words and what to do next, never
 * the long URL it came from (that is in the console-free worker error; the host is enough here).
 */
import { errorCode, errorMessage, errorReason } from './errors.ts';

export function downloadFailure(error: unknown, what: string, baseUrl: string): string {
  const host = hostOf(baseUrl);
  const reason = errorReason(error);
  if (errorCode(error) === 'CANCELLED') return `Download of ${what} cancelled.`;
  if (reason === 'network')
    return `${what} could not be downloaded from ${host} (offline, or the source is blocked). Use a file you have, or change the download source.`;
  if (reason === 'http')
    return `${what} could not be downloaded: ${host} answered ${/HTTP \d+/.exec(errorMessage(error))?.[0] ?? 'with an error'}. Use a file you have, or change the download source.`;
  if (reason === 'sha256-mismatch' || reason === 'size-mismatch')
    return `${what} from ${host} is not the published file (its checksum does not match), so it was not kept. Use a file you have, or change the download source.`;
  return errorMessage(error);
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl || 'https://raw.githubusercontent.com').host;
  } catch {
    return 'the download source';
  }
}

/** A file chosen in place of a download that matches none of the pins: said short, by name. */
export function chosenFileRefusal(error: unknown, fileName: string, what: string): string {
  if (errorReason(error) === 'sha256-mismatch')
    return `${fileName} is not one of the files of ${what} (its checksum matches none of the pinned ones), so it was not kept.`;
  return errorMessage(error);
}
