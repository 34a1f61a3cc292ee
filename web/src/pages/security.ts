import { bars } from "../charts.js";
import { DEDUCTION_FIX } from "../explain.js";
import { api, h, href, num, section, table } from "../lib.js";
import type { Route } from "../lib.js";
import type { HttpsBreakdown } from "../types.js";

/** Security: HTTPS grade distribution and the most common deductions, with what each means. */
export default async function security(view: HTMLElement, _route: Route): Promise<void> {
  const https = await api<HttpsBreakdown>("breakdowns/https");
  const graded = https.grades.reduce((s, g) => s + g.servers, 0);
  view.append(
    h("h1", null, "Security"),
    h(
      "p",
      { class: "lede" },
      "Each server's HTTPS setup is scored from 100 down: TLS versions, the certificate, HSTS, the plain-HTTP redirect and security headers. Grades run from A+ (95 or more, TLS 1.3 and six months of HSTS) to F (under 25).",
    ),
    section(
      "HTTPS grades",
      bars(
        `Servers by HTTPS grade (${num(graded)} graded)`,
        https.grades.map((g) => ({
          label: g.grade,
          value: g.servers,
          note: `· ${num(g.users)} users`,
          href: href("/directory", { https_grade: g.grade }),
        })),
      ),
    ),
    section(
      "Most common deductions",
      table(
        "Deductions from the HTTPS score, most servers first",
        ["Deduction", "What it means", "How to fix it", "Servers"],
        https.deductions.map((d) => [
          h("code", null, d.code),
          d.reason,
          DEDUCTION_FIX[d.code] ?? "",
          num(d.servers),
        ]),
        { numeric: [3] },
      ),
    ),
  );
}
