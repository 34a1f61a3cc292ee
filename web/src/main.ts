/**
 * The dashboard's shell: navigation, theme, the "simulated data" banner, and a hash router. Every
 * view's state lives in the URL (`#/directory?software=mastodon&sort=users`), so any view can be
 * shared or bookmarked, and Back works. Pages other than the overview load on first visit.
 */
import "./style.css";
import { ApiFailure, api, currentRoute, h, type Route } from "./lib.js";
import overview from "./pages/overview.js";
import type { Summary } from "./types.js";

/** A page renders into `main` from the route; `isCurrent` turns false when the user has moved on. */
export type Page = (main: HTMLElement, route: Route, isCurrent: () => boolean) => Promise<void>;

const PAGES: readonly { path: string; title: string; load: () => Promise<{ default: Page }> }[] = [
  { path: "/", title: "Overview", load: async () => ({ default: overview }) },
  { path: "/growth", title: "Growth", load: () => import("./pages/growth.js") },
  { path: "/software", title: "Software", load: () => import("./pages/software.js") },
  { path: "/map", title: "Map", load: () => import("./pages/map.js") },
  { path: "/hosting", title: "Hosting", load: () => import("./pages/hosting.js") },
  { path: "/security", title: "Security", load: () => import("./pages/security.js") },
  { path: "/activity", title: "Activity", load: () => import("./pages/activity.js") },
  { path: "/releases", title: "Releases", load: () => import("./pages/releases.js") },
  { path: "/directory", title: "Directory", load: () => import("./pages/directory.js") },
  { path: "/about", title: "About", load: () => import("./pages/about.js") },
];
const SERVER_PAGE = { title: "Server", load: () => import("./pages/server.js") };

const nav = document.getElementById("nav")!;
const main = document.getElementById("main")!;
const banner = document.getElementById("banner")!;
const menu = document.getElementById("menu")!;

nav.append(
  h(
    "ul",
    null,
    PAGES.map((p) => h("li", null, h("a", { href: `#${p.path}`, "data-path": p.path }, p.title))),
  ),
);
// The skip link moves focus to the content without touching the hash (the hash is the route).
document.querySelector<HTMLAnchorElement>("a.skip")!.addEventListener("click", (e) => {
  e.preventDefault();
  main.focus();
});
menu.addEventListener("click", () => {
  const open = menu.getAttribute("aria-expanded") !== "true";
  menu.setAttribute("aria-expanded", String(open));
  nav.classList.toggle("open", open);
});

// Theme: the system's, unless the reader chose one (kept in this browser).
const themeButton = document.getElementById("theme")!;
function applyTheme(theme: string | null): void {
  const dark = theme ? theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  themeButton.textContent = dark ? "Light theme" : "Dark theme";
}
applyTheme(localStorage.getItem("fedimon-theme"));
themeButton.addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  localStorage.setItem("fedimon-theme", next);
  applyTheme(next);
  void render(false); // canvases take their colours when drawn
});

// The simulated-data label, on every page.
void api<Summary>("summary")
  .then((s) => {
    if (s.simulated) {
      banner.className = "banner";
      banner.textContent =
        "Simulated data: this instance watches fedimon's simulated fediverse (fedimon demo), not real servers.";
      document.documentElement.dataset.simulated = "true";
    }
  })
  .catch(() => undefined);

let generation = 0;

async function render(navigated: boolean): Promise<void> {
  const gen = ++generation;
  const route = currentRoute();
  const isServer = route.path.startsWith("/servers/");
  const page = isServer ? SERVER_PAGE : (PAGES.find((p) => p.path === route.path) ?? null);
  for (const a of nav.querySelectorAll("a")) {
    const current = a.dataset.path === route.path || (isServer && a.dataset.path === "/directory");
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  nav.classList.remove("open");
  menu.setAttribute("aria-expanded", "false");
  const view = h("div", { class: "page" });
  if (!page) {
    view.append(
      h("h1", null, "Not found"),
      h("p", null, "There is no such page. ", h("a", { href: "#/" }, "Overview")),
    );
    main.replaceChildren(view);
    return;
  }
  document.title = `${page.title} · fedimon`;
  try {
    const mod = await page.load();
    if (gen !== generation) return;
    main.setAttribute("aria-busy", "true");
    await mod.default(view, route, () => gen === generation);
    if (gen !== generation) return;
    main.replaceChildren(view);
    // For the web benchmark: when the first view had its data on screen.
    if (!performance.getEntriesByName("fedimon:rendered").length) performance.mark("fedimon:rendered");
  } catch (err) {
    if (gen !== generation) return;
    const msg = err instanceof ApiFailure ? `The API answered ${err.status}: ${err.message}` : String(err);
    main.replaceChildren(
      h("div", { class: "page" }, h("h1", null, page.title), h("p", { class: "error" }, msg)),
    );
  } finally {
    if (gen === generation) main.removeAttribute("aria-busy");
  }
  if (navigated) main.focus({ preventScroll: false });
}

window.addEventListener("hashchange", () => void render(true));
void render(false);
