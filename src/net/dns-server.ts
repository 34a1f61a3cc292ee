import net from "node:net";

/**
 * Reads `--dns-server`: an IP literal (IPv6 in brackets when a port follows) and a port 1–65535,
 * 53 when none is given. c-ares takes port 0 without complaint and then aborts the process on the
 * first lookup, and silently wraps ports over 65535, so both are refused here first.
 */
export function parseDnsServer(text: string): { host: string; port: number } | { error: string } {
  const s = text.trim();
  let host = s;
  let portText: string | null = null;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(s);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2] ?? null;
  } else if (net.isIPv4(s.split(":")[0] ?? "") && s.includes(":")) {
    [host = "", portText = ""] = s.split(/:(.*)/s);
  }
  if (net.isIP(host) === 0 || host.includes("%")) {
    return { error: "the host must be an IP address (e.g. 127.0.0.1:53 or [::1]:53)" };
  }
  if (portText === null) return { host, port: 53 };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65_535)) return { error: "the port must be a number from 1 to 65535" };
  return { host, port };
}
