/**
 * A failed TLS handshake or connection in plain words. Node reports OpenSSL's failures with its raw
 * error line (`error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:...:SSL
 * alert number 40`); a person needs what it means for their host, so the known reasons are named
 * and an unknown one keeps only OpenSSL's short reason text.
 */

/** OpenSSL reason texts (the fifth field of its error line, or Node's `ERR_SSL_*` code) and what they mean. */
const REASONS: ReadonlyArray<{ match: RegExp; words: string }> = [
  { match: /unrecognized name/i, words: "the server does not serve this host name over TLS (it answered \"unrecognized name\")" },
  { match: /alert handshake failure|handshake failure/i, words: "the server refused the TLS handshake: it has no certificate for this host name, or no cipher in common" },
  { match: /alert internal error/i, words: "the server failed during the TLS handshake: most likely it has no certificate for this host name" },
  { match: /wrong version number|packet length too long|http request/i, words: "the port answers plain HTTP, not HTTPS" },
  { match: /unexpected eof|eof while reading/i, words: "the server closed the connection during the TLS handshake" },
  { match: /alert protocol version|unsupported protocol|no protocols available/i, words: "the server and the panel share no TLS version" },
  { match: /certificate unknown|bad certificate|unknown ca/i, words: "the server rejected the handshake over a certificate" },
];

/** The short reason of an OpenSSL error line, or of an `ERR_SSL_*` code; undefined when it is neither. */
function opensslReason(code: string | undefined, message: string): string | undefined {
  const line = /error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+)/.exec(message);
  if (line?.[1]) return line[1].trim();
  if (code?.startsWith("ERR_SSL_")) return code.slice("ERR_SSL_".length).toLowerCase().replace(/_/g, " ");
  return undefined;
}

/** A network or TLS error of a probe in plain words (one line, no OpenSSL internals). */
export function connectionErrorWords(code: string | undefined, message: string): string {
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET") return "the connection was reset during the handshake";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `the name does not resolve (${code})`;
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return `no route to the address (${code})`;
  const reason = opensslReason(code, message);
  if (reason !== undefined) {
    const known = REASONS.find((r) => r.match.test(reason));
    return known ? known.words : `the TLS handshake failed (${reason})`;
  }
  return message.split("\n")[0]?.trim() || "error";
}
