import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OutcomeError } from "../core/outcome.js";
import { NetError, classifyNetError, errorLine, oneLine, type NetPhase } from "./errors.js";

function coded(code: string, message = `failure ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

describe("classifyNetError", () => {
  it.each<[string, NetPhase, string]>([
    ["ECONNREFUSED", "connect", "refused"],
    ["ECONNRESET", "connect", "refused"],
    ["EHOSTUNREACH", "connect", "connect_timeout"],
    ["ENETUNREACH", "connect", "connect_timeout"],
    ["UND_ERR_CONNECT_TIMEOUT", "connect", "connect_timeout"],
    ["CERT_HAS_EXPIRED", "tls", "cert_invalid"],
    ["CERT_NOT_YET_VALID", "tls", "cert_invalid"],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "tls", "cert_invalid"],
    ["SELF_SIGNED_CERT_IN_CHAIN", "tls", "cert_invalid"],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "tls", "cert_invalid"],
    ["UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "tls", "cert_invalid"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "tls", "cert_invalid"],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "tls", "tls_error"],
    ["ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", "tls", "tls_error"],
    ["ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE", "tls", "tls_error"],
    ["ECONNRESET", "tls", "tls_error"],
    ["UND_ERR_SOCKET", "tls", "tls_error"],
    ["UND_ERR_HEADERS_TIMEOUT", "response", "timeout"],
    ["UND_ERR_BODY_TIMEOUT", "body", "timeout"],
    ["UND_ERR_ABORTED", "response", "timeout"],
    ["ECONNRESET", "response", "http_error"],
    ["UND_ERR_SOCKET", "response", "http_error"],
    ["UND_ERR_SOCKET", "body", "http_error"],
    ["HPE_INVALID_CONSTANT", "response", "malformed"],
    ["UND_ERR_RES_CONTENT_LENGTH_MISMATCH", "body", "malformed"],
    ["UND_ERR_HEADERS_OVERFLOW", "response", "too_large"],
    ["Z_DATA_ERROR", "body", "malformed"],
    ["ERR__ERROR_FORMAT_PADDING_1", "body", "malformed"],
  ])("%s during %s → %s", (code, phase, outcome) => {
    const c = classifyNetError(coded(code), phase);
    expect(c.outcome).toBe(outcome);
    expect(c.detail).not.toMatch(/\n/);
  });

  it("keeps the class of our own errors", () => {
    expect(classifyNetError(new NetError("private_address", "10.0.0.1 is private"))).toEqual({
      outcome: "private_address",
      detail: "10.0.0.1 is private",
    });
    expect(classifyNetError(new OutcomeError("rate_limited", "slow down")).outcome).toBe("rate_limited");
    expect(new NetError("dns_not_found", "x").code).toBe("EFEDIMON_DNS_NOT_FOUND");
  });

  it("reads an AbortError by name", () => {
    const err = new Error("aborted");
    err.name = "AbortError";
    expect(classifyNetError(err).outcome).toBe("timeout");
  });

  it("never throws, whatever it is given", () => {
    fc.assert(
      fc.property(
        fc.anything(),
        fc.constantFrom<NetPhase>("connect", "tls", "response", "body"),
        (value, phase) => {
          const c = classifyNetError(value, phase);
          expect(typeof c.detail).toBe("string");
        },
      ),
    );
    expect(classifyNetError(null).outcome).toBe("http_error");
    expect(classifyNetError(Object.create(null)).outcome).toBe("http_error");
  });
});

describe("oneLine", () => {
  it("flattens whitespace and bounds length", () => {
    expect(oneLine("a\n  b\tc")).toBe("a b c");
    expect(oneLine("x".repeat(500))).toHaveLength(300);
  });
});

describe("errorLine", () => {
  it("gives an error's message as one bounded line, whatever was thrown", () => {
    expect(errorLine(new Error("first\n  second"))).toBe("first second");
    expect(errorLine(new Error("first\n  second"), 300, { firstLine: true })).toBe("first");
    expect(errorLine("plain text")).toBe("plain text");
    expect(errorLine(new Error("x".repeat(500)), 200)).toHaveLength(200);
    const hostile = {
      toString() {
        throw new Error("no");
      },
    };
    expect(errorLine(hostile)).toBe("unprintable error");
  });
});
