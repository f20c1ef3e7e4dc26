/**
 * `multipart/form-data` request bodies (RFC 7578), for the upload endpoints the apps serve:
 * the *arr `system/backup/restore/upload` and SABnzbd's `config/general/uploadConfig`.
 */

/** One part of a form. */
export interface FormPart {
  /** The field name (`restore`, `config_backup_file`). */
  name: string;
  /** The file name, for file parts. */
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** The boundary of a `multipart/form-data` content type, or undefined for other types. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^\s*multipart\/form-data\b/i.test(contentType)) return undefined;
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

function headerParam(header: string, param: string): string | undefined {
  const m = new RegExp(`(?:^|[;\\s])${param}\\*?=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, "i").exec(header);
  const v = m?.[1] ?? m?.[2];
  return v === undefined ? undefined : v.replace(/\\(.)/g, "$1");
}

/** Splits a multipart body into its parts; a body that does not follow the format gives no parts. */
export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    let start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === "--") break;
    if (body.subarray(start, start + 2).toString() === "\r\n") start += 2;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    // The part ends with CRLF before the next delimiter.
    const end = body.subarray(next - 2, next).toString() === "\r\n" ? next - 2 : next;
    const part = body.subarray(start, end);
    const headEnd = part.indexOf("\r\n\r\n");
    if (headEnd >= 0) {
      const headers = part.subarray(0, headEnd).toString("utf8").split("\r\n");
      const disposition = headers.find((h) => /^content-disposition:/i.test(h)) ?? "";
      const type = headers.find((h) => /^content-type:/i.test(h));
      const name = headerParam(disposition, "name");
      if (name !== undefined) {
        parts.push({
          name,
          filename: headerParam(disposition, "filename"),
          contentType: type?.replace(/^content-type:\s*/i, ""),
          data: Buffer.from(part.subarray(headEnd + 4)),
        });
      }
    }
    at = next;
  }
  return parts;
}
