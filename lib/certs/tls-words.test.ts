import { describe, expect, it } from "vitest";
import { connectionErrorWords } from "./tls-words";

describe("a failed TLS probe in plain words", () => {
  it("names what OpenSSL's raw error lines mean, without their internals", () => {
    const handshake = "write EPROTO 40E7A1F1D97F0000:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 40\n";
    expect(connectionErrorWords("EPROTO", handshake)).toBe("the server refused the TLS handshake: it has no certificate for this host name, or no cipher in common");
    const internal = "C0B7:error:0A000438:SSL routines:ssl3_read_bytes:tlsv1 alert internal error:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 80";
    expect(connectionErrorWords("ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR", internal)).toBe("the server failed during the TLS handshake: most likely it has no certificate for this host name");
    expect(connectionErrorWords("ERR_SSL_WRONG_VERSION_NUMBER", "C0B7:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:354:")).toBe(
      "the port answers plain HTTP, not HTTPS",
    );
    expect(connectionErrorWords("ERR_SSL_TLSV1_UNRECOGNIZED_NAME", "")).toBe('the server does not serve this host name over TLS (it answered "unrecognized name")');
    const unknown = connectionErrorWords("EPROTO", "x:error:0A0000FF:SSL routines:ssl3_x:some new reason:../deps/file.c:1:");
    expect(unknown).toBe("the TLS handshake failed (some new reason)");
    for (const words of [connectionErrorWords("EPROTO", handshake), unknown]) expect(words).not.toMatch(/deps|0A000|ssl3_|SSL routines/);
  });

  it("connection failures keep their short names; anything else its first line", () => {
    expect(connectionErrorWords("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:443")).toBe("connection refused");
    expect(connectionErrorWords("ENOTFOUND", "getaddrinfo ENOTFOUND x")).toBe("the name does not resolve (ENOTFOUND)");
    expect(connectionErrorWords(undefined, "socket hang up\nmore")).toBe("socket hang up");
  });
});
