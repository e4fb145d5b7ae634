/**
 * The head a bare poll baseline answers with: BASELINE_HEADERS (a JSON list of [name, value], the
 * lab's own poll answer's headers as the bench read them), else the content type and cache header
 * alone. With the lab's list the baselines put the same bytes on the wire as the lab (only the
 * Date differs, and not in length), so a polls/s ratio compares servers, not header sizes.
 */
export type HeaderList = [name: string, value: string][];

const FALLBACK: HeaderList = [
  ['content-type', 'application/json; charset=utf-8'],
  ['cache-control', 'no-store'],
];

export function baselineHeaders(json = process.env.BASELINE_HEADERS): HeaderList {
  if (!json) return FALLBACK;
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((h) => Array.isArray(h) && h.length === 2))
    throw new Error(`BASELINE_HEADERS must be a JSON list of [name, value], got ${json}`);
  return parsed as HeaderList;
}
