import tls from "node:tls";

/** The TLS settings a client context is built from (versions and ciphers live in the context). */
export interface ClientTlsSettings {
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
}

const contexts = new Map<string, tls.SecureContext>();

/**
 * One client TLS context per setting (Node's default roots plus NODE_EXTRA_CA_CERTS), shared by
 * every connection made with it: `tls.connect` would otherwise build a fresh one per socket, which
 * loads the root store each time, a measurable cost at hundreds of handshakes a second. Throws
 * what `tls.createSecureContext` throws when this machine refuses the setting (a TLS version
 * compiled out, say); nothing is cached then.
 */
export function sharedClientContext(settings: ClientTlsSettings = {}): tls.SecureContext {
  const key = `${settings.minVersion ?? ""}|${settings.maxVersion ?? ""}|${settings.ciphers ?? ""}`;
  let context = contexts.get(key);
  if (!context) {
    context = tls.createSecureContext(settings);
    contexts.set(key, context);
  }
  return context;
}

/**
 * Makes the host-name check of a handshake read the leaf certificate only. Node checks the name
 * (tls.checkServerIdentity: the leaf's subject and subjectaltname) on getPeerCertificate(true),
 * which also walks the chain and looks its issuer up in the root store: about 0.35 ms a handshake,
 * the largest item in the crawler's profile. The leaf carries everything the check reads, for a
 * tenth of the cost; OpenSSL verifies the chain during the handshake either way. The stand-in
 * is removed when the handshake completes, so later callers get Node's own method.
 */
export function checkNameOnLeafOnly(socket: tls.TLSSocket): void {
  Object.defineProperty(socket, "getPeerCertificate", {
    value: leafOnly,
    configurable: true,
    writable: true,
  });
  socket.once("secureConnect", () => Reflect.deleteProperty(socket, "getPeerCertificate"));
}

function leafOnly(this: tls.TLSSocket): tls.PeerCertificate {
  return tls.TLSSocket.prototype.getPeerCertificate.call(this, false);
}
