import type { NodeInfoData } from "../software/index.js";
import {
  parseHostMeta,
  parseNodeInfo,
  parseNodeInfoDiscovery,
  webDomainFromHostMeta,
} from "../software/index.js";
import type { ProbeHttp, StepFailure } from "./probe-http.js";

/** A NodeInfo document read, and where it was found. */
export interface NodeInfoFound {
  ok: true;
  data: NodeInfoData;
  /** The document's `metadata` object, for fork markers (read again with the instance version). */
  metadata: unknown;
  /** Final URL of the NodeInfo document (after redirects). */
  docUrl: string;
  /** HTTP status of the NodeInfo document. */
  status: number;
  /** The address the NodeInfo document came from (where the server is, for geo), or null. */
  remoteAddress: string | null;
}

/** Links tried from one discovery document before giving up (the best first). */
const MAX_LINKS_TRIED = 2;

/** Hostname of a URL, lower-case, or null. */
export function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname.toLowerCase().replace(/\.$/, "") || null;
  } catch {
    return null;
  }
}

/**
 * `/.well-known/nodeinfo` on `host`, then the best NodeInfo document it offers (highest schema,
 * `http` and `https` rel variants alike). When the best link fails with a status or a document
 * that does not parse, the next one is tried; a network failure ends the step.
 */
export async function fetchNodeInfo(http: ProbeHttp, host: string): Promise<NodeInfoFound | StepFailure> {
  const disc = await http.getJson("discovery", `https://${host}/.well-known/nodeinfo`);
  if (!disc.ok) return disc;
  const links = parseNodeInfoDiscovery(disc.json, disc.res.url);
  if (!links.ok) {
    return {
      ok: false,
      outcome: "not_fediverse",
      detail: `nodeinfo discovery: ${links.reason}`,
      status: disc.res.status,
      retryAfterMillis: null,
    };
  }
  let last: StepFailure | null = null;
  for (const link of links.value.slice(0, MAX_LINKS_TRIED)) {
    const doc = await http.getJson("nodeinfo", link.href);
    if (!doc.ok) {
      last = doc;
      if (doc.status === null) return doc;
      continue;
    }
    const parsed = parseNodeInfo(doc.json);
    if (!parsed.ok) {
      last = {
        ok: false,
        outcome: "malformed",
        detail: `nodeinfo: ${parsed.reason}`,
        status: doc.res.status,
        retryAfterMillis: null,
      };
      continue;
    }
    const metadata =
      typeof doc.json === "object" && doc.json !== null
        ? (doc.json as Record<string, unknown>)["metadata"]
        : undefined;
    return {
      ok: true,
      data: parsed.value,
      metadata,
      docUrl: doc.res.url,
      status: doc.res.status,
      remoteAddress: doc.res.remoteAddress,
    };
  }
  return (
    last ?? {
      ok: false,
      outcome: "not_fediverse",
      detail: "no NodeInfo link",
      status: null,
      retryAfterMillis: null,
    }
  );
}

/**
 * Finds the web domain of a server whose account domain does not serve NodeInfo itself (Mastodon's
 * `LOCAL_DOMAIN` / `WEB_DOMAIN` split): the host of `/.well-known/host-meta`'s LRDD template, or
 * of where `/.well-known/host-meta` or the WebFinger endpoint redirect. Null when neither points
 * elsewhere.
 */
export async function findWebDomain(http: ProbeHttp, domain: string): Promise<string | null> {
  const hm = await http.raw("host-meta", `https://${domain}/.well-known/host-meta`, {
    accept: "application/xrd+xml, application/json;q=0.9, */*;q=0.1",
  });
  if (!hm.ok) return null; // unreachable: asking the WebFinger endpoint would fail the same way
  const redirected = hostOf(hm.res.url);
  if (redirected !== null && redirected !== domain) return redirected;
  if (hm.res.status >= 200 && hm.res.status < 300) {
    const parsed = parseHostMeta(hm.res.body.toString("utf8"), hm.res.headers["content-type"] ?? null);
    const fromTemplate = webDomainFromHostMeta(parsed);
    if (fromTemplate !== null && fromTemplate !== domain) return fromTemplate;
    if (parsed.ok) return null;
  }
  // The instance actor (`acct:DOMAIN@DOMAIN` on Mastodon) is the one account every server has;
  // what matters is where the endpoint redirects, whatever the answer.
  const wf = await http.raw(
    "host-meta",
    `https://${domain}/.well-known/webfinger?resource=${encodeURIComponent(`acct:${domain}@${domain}`)}`,
    { accept: "application/jrd+json, application/json" },
  );
  const host = wf.ok ? hostOf(wf.res.url) : null;
  return host !== null && host !== domain ? host : null;
}
