import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseStatus, STATUS_LIMITS } from "./status-schema.js";

/**
 * The contract of `parseStatus`, written as a zod schema: the hand-written parser must agree with
 * it on every input (it exists only because this schema is ten times slower on the hot path).
 */
const L = STATUS_LIMITS;
const str = (max: number) =>
  z
    .string()
    .max(max)
    .catch(null as unknown as string)
    .nullish()
    .transform((v) => v ?? null);
const bool = z
  .boolean()
  .catch(null as unknown as boolean)
  .nullish()
  .transform((v) => v ?? null);
const Account = z.object({
  uri: str(L.uriChars),
  url: str(L.uriChars),
  acct: str(L.uriChars),
  discoverable: bool,
  indexable: bool,
  note: str(L.noteChars),
});
const listOf = (key: "type" | "name", fallback: string, max: number) =>
  z
    .array(
      z
        .unknown()
        .optional()
        .transform((item) => {
          const v =
            typeof item === "object" && item !== null && !Array.isArray(item)
              ? (item as Record<string, unknown>)[key]
              : undefined;
          return { [key]: typeof v === "string" && v.length <= max ? v : fallback };
        }),
    )
    .max(L.listItems)
    .catch(null as unknown as [])
    .nullish()
    .transform((v) => v ?? null);
const Core = z.object({
  id: z
    .unknown()
    .optional()
    .transform((v) =>
      typeof v === "string"
        ? v.length <= L.shortChars
          ? v
          : null
        : typeof v === "number"
          ? String(v)
          : null,
    ),
  uri: z.string().min(1).max(L.uriChars),
  content: z.string().max(L.contentChars).catch(""),
  spoiler_text: str(L.contentChars),
  sensitive: bool,
  visibility: str(32),
  language: str(L.shortChars),
  in_reply_to_id: z
    .unknown()
    .optional()
    .transform((v) => typeof v === "string" || typeof v === "number"),
  media_attachments: listOf("type", "unknown", L.shortChars),
  tags: listOf("name", "", L.tagNameChars),
  poll: z
    .unknown()
    .optional()
    .transform((v) => typeof v === "object" && v !== null),
  account: z
    .custom<Record<string, unknown>>((v) => typeof v === "object" && v !== null && !Array.isArray(v))
    .pipe(Account),
});
function reference(json: unknown): unknown {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return null;
  const r = Core.safeParse(json);
  if (!r.success) return null;
  const reblog = (json as Record<string, unknown>).reblog;
  const inner = reblog === null || reblog === undefined ? null : Core.safeParse(reblog);
  return { ...r.data, reblog: inner === null ? null : inner.success ? inner.data : null };
}

const anyValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(
    fc.oneof(
      fc.string({ maxLength: 5 }),
      fc.record({ type: fc.string({ maxLength: 8 }), name: fc.string({ maxLength: 8 }) }),
    ),
  ),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })),
);
const accountArb = fc.oneof(
  anyValue,
  fc.record(
    {
      uri: anyValue,
      url: anyValue,
      acct: anyValue,
      discoverable: anyValue,
      indexable: anyValue,
      note: anyValue,
    },
    { requiredKeys: [] },
  ),
);
const coreArb = fc.record(
  {
    id: anyValue,
    uri: fc.oneof(fc.webUrl(), anyValue),
    content: anyValue,
    spoiler_text: anyValue,
    sensitive: anyValue,
    visibility: anyValue,
    language: anyValue,
    in_reply_to_id: anyValue,
    media_attachments: anyValue,
    tags: anyValue,
    poll: anyValue,
    account: accountArb,
  },
  { requiredKeys: [] },
);
const statusArb = fc.oneof(
  anyValue,
  coreArb,
  fc.tuple(coreArb, fc.oneof(anyValue, coreArb)).map(([c, reblog]) => ({ ...c, reblog })),
);

describe("parseStatus", () => {
  it("agrees with its zod contract on arbitrary input, and never throws", () => {
    fc.assert(
      fc.property(statusArb, (json) => {
        expect(parseStatus(json)).toEqual(reference(json));
      }),
      { numRuns: 2_000 },
    );
  });

  it("keeps only the fields extraction reads", () => {
    const p = parseStatus({
      id: "1",
      uri: "https://a.example/users/x/statuses/1",
      content: "<p>hi</p>",
      account: {
        uri: "https://a.example/users/x",
        username: "x",
        display_name: "X",
        discoverable: true,
        note: "",
      },
      media_attachments: [{ type: "image", url: "https://a.example/m.png", description: "secret" }, 5],
      tags: [{ name: "Tag", url: "https://a.example/tags/tag" }],
      poll: { options: [{ title: "secret" }] },
      reblog: null,
    });
    expect(p).toEqual({
      id: "1",
      uri: "https://a.example/users/x/statuses/1",
      content: "<p>hi</p>",
      spoiler_text: null,
      sensitive: null,
      visibility: null,
      language: null,
      in_reply_to_id: false,
      media_attachments: [{ type: "image" }, { type: "unknown" }],
      tags: [{ name: "Tag" }],
      poll: true,
      account: {
        uri: "https://a.example/users/x",
        url: null,
        acct: null,
        discoverable: true,
        indexable: null,
        note: "",
      },
      reblog: null,
    });
    expect(JSON.stringify(p)).not.toContain("secret");
    expect(JSON.stringify(p)).not.toContain("display_name");
  });

  it("rejects statuses without a usable uri or account", () => {
    expect(parseStatus({ uri: "", account: {} })).toBeNull();
    expect(parseStatus({ uri: "https://x", account: null })).toBeNull();
    expect(parseStatus({ uri: "x".repeat(3000), account: {} })).toBeNull();
    expect(parseStatus([])).toBeNull();
    expect(parseStatus("status")).toBeNull();
  });
});
