import { domainToASCII } from "node:url";
import { z } from "zod";

/**
 * The building blocks of every request and response schema. Query parameters arrive as strings:
 * each helper checks the text strictly (no `Number("")`, no `0x10`), turns it into the typed value
 * the handlers use, and documents itself for the OpenAPI document (`meta`), so validation and
 * documentation come from one place.
 */

/**
 * The registry of named response schemas: each becomes `#/components/schemas/<id>` in the OpenAPI
 * document, referenced from every route that returns it.
 */
export const apiRegistry = z.registry<{ id: string }>();

/** Registers a schema under `id` (a component of the OpenAPI document) and returns it. */
export function named<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  const described = description === undefined ? schema : (schema.describe(description) as T);
  apiRegistry.add(described, { id });
  return described;
}

/** A whole number parameter in [min, max]. */
export function intParam(min: number, max: number, description: string) {
  const msg = `must be a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d{1,10}$/, msg)
    .transform(Number)
    .pipe(z.number().int().min(min, msg).max(max, msg))
    .meta({ type: "integer", minimum: min, maximum: max, description });
}

const EARLIEST_MILLIS = Date.UTC(2000, 0, 1);
const LATEST_MILLIS = Date.UTC(2100, 0, 1);
const TIME_RE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** An instant: `YYYY-MM-DD` (midnight UTC) or an RFC 3339 date-time with a zone, between 2000 and 2100. */
export function timeParam(description: string) {
  const msg =
    "must be a date (YYYY-MM-DD) or a date-time with a time zone (2026-01-31T12:00:00Z), between 2000 and 2100";
  return z
    .string()
    .max(40, msg)
    .regex(TIME_RE, msg)
    .transform((s, ctx) => {
      const millis = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s);
      if (!Number.isFinite(millis) || millis < EARLIEST_MILLIS || millis >= LATEST_MILLIS) {
        ctx.addIssue({ code: "custom", message: msg });
        return z.NEVER;
      }
      // Reject calendar overflow that Date.parse would silently roll over (2026-02-31).
      if (new Date(millis).toISOString().slice(0, 10) !== s.slice(0, 10) && !/[+-]\d{2}:\d{2}$/.test(s)) {
        ctx.addIssue({ code: "custom", message: msg });
        return z.NEVER;
      }
      return new Date(millis);
    })
    .meta({ type: "string", format: "date-time", description: `${description} (${msg})` });
}

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DOMAIN_RE = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})+$`);

/** A server's domain: Unicode names are turned to punycode, case and one trailing dot ignored. */
export function domainParam(description: string) {
  const msg = "must be a domain name such as mastodon.social";
  return z
    .string()
    .min(1, msg)
    .max(253, msg)
    .transform((s, ctx) => {
      // Only letters, digits, dots and hyphens reach IDNA (which would read `a.example/x` as `a.example`).
      // eslint-disable-next-line no-control-regex
      const ascii = /[\x00-\x2c\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]/.test(s)
        ? ""
        : domainToASCII(s.replace(/\.$/, "").toLowerCase());
      if (!DOMAIN_RE.test(ascii)) {
        ctx.addIssue({ code: "custom", message: msg });
        return z.NEVER;
      }
      return ascii;
    })
    .meta({ type: "string", description, examples: ["mastodon.social"] });
}

/** A name such as a software or fork name: lower-case letters, digits and `._+-`, at most 64. */
export function slugParam(description: string) {
  const msg = "must be 1 to 64 letters, digits or . _ + - characters";
  return z
    .string()
    .max(64, msg)
    .transform((s) => s.toLowerCase())
    .pipe(z.string().regex(/^[a-z0-9][a-z0-9._+-]{0,63}$/, msg))
    .meta({ type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$", description });
}

/** Free text matched literally (a search or a network name): printable, no control characters. */
export function textParam(maxLength: number, description: string) {
  const msg = `must be 1 to ${maxLength} letters, digits, spaces or . , & ( ) ' - characters`;
  return z
    .string()
    .min(1, msg)
    .max(maxLength, msg)
    .regex(/^[\p{L}\p{N} .,&()'_-]+$/u, msg)
    .meta({ type: "string", minLength: 1, maxLength, description });
}

/** One of a closed set of values. */
export function enumParam<const T extends readonly [string, ...string[]]>(values: T, description: string) {
  return z.enum(values, { error: () => `must be one of: ${values.join(", ")}` }).meta({ description });
}

/** Dates and times in responses: RFC 3339, UTC, milliseconds (`Date.toISOString`). */
export const DateTime = z.iso.datetime();
/** UTC days in responses. */
export const Day = z.iso.date();

/** Why figures are null: their job has not run yet (`fedimon run` runs it after the first crawl pass). */
export const PENDING_FIRST_PASS = "not computed yet: computed after the first crawl pass";

/** When the job behind a set of figures last ran; null until it has run. */
export const ComputedAt = DateTime.nullable().describe(
  "when the job behind these figures last ran; null until it has run (the figures are then null, not 0)",
);

/** Why the figures are null; null when they are computed. */
export const Pending = z
  .string()
  .nullable()
  .describe(`why the figures are null, e.g. "${PENDING_FIRST_PASS}"; null once computed`);
/** Counts in responses. */
export const Count = z.number().int().min(0);

/** A period of simulated history: [from, to). */
export const SimulatedRange = named(
  "SimulatedRange",
  z.object({ from: DateTime, to: DateTime }),
  "Periods starting in [from, to) were computed by `fedimon demo` from its simulated fediverse, not observed.",
);

/** Whether a history answer holds simulated periods, and which. */
export const simulatedFields = {
  simulated: z
    .boolean()
    .describe("true when some of the periods answered were simulated (`fedimon demo`), not observed"),
  simulatedRange: SimulatedRange.nullable().describe(
    "the simulated periods of this resolution, whether or not the answer's range meets them; null: none",
  ),
};

/** Every error response: the status, a stable code and a message a person can act on. */
export const ErrorBody = named(
  "Error",
  z.object({
    status: z.number().int(),
    code: z.enum([
      "invalid_parameter",
      "not_found",
      "method_not_allowed",
      "rate_limited",
      "unavailable",
      "payload_too_large",
      "internal",
    ]),
    message: z.string(),
  }),
  "An error: no stack traces, no internals.",
);

/** Turns a value to an ISO string (responses never carry Date objects). */
export function iso(d: Date): string;
export function iso(d: Date | null): string | null;
export function iso(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}
