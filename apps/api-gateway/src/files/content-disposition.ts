/**
 * `attachment` with the file's name: an ASCII fallback (quotes, backslashes, controls and non-ASCII replaced) and the
 * exact name as RFC 5987 `filename*`, so no stored name can break or inject a header.
 */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
