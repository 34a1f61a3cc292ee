/** Small helpers: DOM building, the API client, number formats and the URL state. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

/** Creates an element: `h("a", { href: "#/" }, "text", child)`. Text is always inserted as text, never HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (k === "class") el.className = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

/** Appends children, skipping null, undefined and false. */
export function add(el: Element, ...children: (Child | Child[])[]): void {
  append(el, children);
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
  }
}

/** An error the API answered with (its documented error body), or a network failure. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const inflight = new Map<string, Promise<unknown>>();

/** GETs `/api/v1/PATH` (answers are cached for the page's life: the API's own cache is a minute or more). */
export function api<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const url = `/api/v1/${path}${q.size ? `?${q}` : ""}`;
  let p = inflight.get(url) as Promise<T> | undefined;
  if (!p) {
    p = fetch(url, { headers: { accept: "application/json" } }).then(async (r) => {
      const body = (await r.json().catch(() => null)) as { message?: string } | null;
      if (!r.ok) {
        inflight.delete(url);
        throw new ApiFailure(r.status, body?.message ?? `HTTP ${r.status}`);
      }
      return body as T;
    });
    p.catch(() => inflight.delete(url));
    inflight.set(url, p);
  }
  return p;
}

const nf = new Intl.NumberFormat("en");
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

/** 12,345; an unknown value is shown as "unknown", never as 0. */
export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? "unknown" : nf.format(Math.round(n));
}

/** 12.3K */
export function short(n: number | null | undefined): string {
  return n === null || n === undefined ? "unknown" : compact.format(n);
}

/** 12.3% */
export function pct(share: number | null | undefined, digits = 1): string {
  return share === null || share === undefined || !Number.isFinite(share)
    ? "unknown"
    : `${(share * 100).toFixed(digits)}%`;
}

/** "2026-03-01 12:00 UTC" */
export function when(iso: string | null | undefined): string {
  if (!iso) return "never";
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** "3 hours ago" */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return "never";
  const d = Math.round((now - Date.parse(iso)) / 1000);
  // A time to come ("next try") reads "in 40 minutes".
  const s = Math.abs(d);
  const [pre, post] = d < 0 ? ["in ", ""] : ["", " ago"];
  if (s < 90) return d < 0 ? "now" : "just now";
  if (s < 5400) return `${pre}${Math.round(s / 60)} minutes${post}`;
  if (s < 129_600) return `${pre}${Math.round(s / 3600)} hours${post}`;
  return `${pre}${Math.round(s / 86_400)} days${post}`;
}

let regionNames: Intl.DisplayNames | null = null;
/** A country's English name from its ISO code ("DE" → "Germany"); null: "Unknown". */
export function countryName(code: string | null): string {
  if (!code) return "Unknown";
  try {
    regionNames ??= new Intl.DisplayNames(["en"], { type: "region" });
    return regionNames.of(code) ?? code;
  } catch {
    return code;
  }
}

/** The current view: `#/path?query`. */
export interface Route {
  path: string;
  params: URLSearchParams;
}

/** Reads the route from the location hash. */
export function currentRoute(): Route {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query] = raw.split("?", 2) as [string, string | undefined];
  return { path: path || "/", params: new URLSearchParams(query ?? "") };
}

/** A link to a view: `href("/directory", { software: "mastodon" })`. */
export function href(path: string, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v);
  return `#${path}${q.size ? `?${q}` : ""}`;
}

/** Changes some of the current view's parameters (a new history entry, so Back works and the URL can be shared). */
export function setParams(changes: Record<string, string | undefined>): void {
  const { path, params } = currentRoute();
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === "") params.delete(k);
    else params.set(k, v);
  }
  location.hash = `${path}${params.size ? `?${params}` : ""}`;
}

/** A labelled select bound to a URL parameter. */
export function selectParam(
  label: string,
  name: string,
  options: readonly (readonly [string, string])[],
  value: string,
): HTMLLabelElement {
  const sel = h(
    "select",
    {
      name,
      onchange: (e: Event) =>
        setParams({ [name]: (e.target as HTMLSelectElement).value, cursor: "", page: "" }),
    },
    options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
  );
  return h("label", { class: "field" }, h("span", null, label), sel);
}

/** A group of toggle buttons bound to a URL parameter (a segmented control). */
export function toggleParam(
  label: string,
  name: string,
  options: readonly (readonly [string, string])[],
  value: string,
): HTMLElement {
  return h(
    "div",
    { class: "toggle", role: "group", "aria-label": label },
    options.map(([v, text]) =>
      h(
        "button",
        { type: "button", "aria-pressed": String(v === value), onclick: () => setParams({ [name]: v }) },
        text,
      ),
    ),
  );
}

/** A section with a heading. */
export function section(title: string, ...children: (Child | Child[])[]): HTMLElement {
  return h("section", { class: "card" }, h("h2", null, title), ...children);
}

/** A plain table: the text alternative of a chart, or a list in its own right. */
export function table(
  caption: string,
  head: readonly string[],
  rows: readonly (readonly Child[])[],
  opts: { numeric?: readonly number[] } = {},
): HTMLElement {
  const numeric = new Set(opts.numeric ?? []);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h("caption", null, caption),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          head.map((c, i) => h("th", { scope: "col", class: numeric.has(i) ? "num" : null }, c)),
        ),
      ),
      h(
        "tbody",
        null,
        rows.length === 0
          ? h("tr", null, h("td", { colspan: head.length, class: "muted" }, "No data yet."))
          : rows.map((r) =>
              h(
                "tr",
                null,
                r.map((c, i) => h("td", { class: numeric.has(i) ? "num" : null }, c)),
              ),
            ),
      ),
    ),
  );
}

/** A headline figure. */
export function stat(label: string, value: string, note?: Child, spark?: Node | null): HTMLElement {
  return h(
    "div",
    { class: "stat" },
    h("div", { class: "stat-label" }, label),
    h("div", { class: "stat-value" }, value),
    spark ?? null,
    note ? h("div", { class: "stat-note" }, note) : null,
  );
}

/** A note shown where a page has nothing to show yet. */
export function empty(text: string): HTMLElement {
  return h("p", { class: "muted empty" }, text);
}

/**
 * "Now" as the API sees it: the instant its totals are for. Ranges (`from=`) count back from it, not
 * from this browser's clock, which may be wrong (or, in a test, years away from the data).
 */
export async function serverNow(): Promise<number> {
  const s = await api<{ asOf: string }>("summary");
  return Date.parse(s.asOf);
}

/** ISO time `days` before `now` (for `from=`). */
export function daysAgo(days: number, now: number): string {
  return new Date(now - days * 86_400_000).toISOString();
}
