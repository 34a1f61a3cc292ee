import { describe, expect, it } from "vitest";
import { compileJsonTemplate, TextTemplate, type TemplateValues } from "./json-template.js";

const values: TemplateValues = {
  host: "river-fox.social",
  name: "mastodon",
  version: "4.2.9",
  apiVersion: "4.2.9",
  title: "River Fox",
  description: "d",
  email: "admin@river-fox.social",
  usersTotal: 12,
  activeMonth: 3,
  activeHalfyear: 5,
  localPosts: 1234,
  domainCount: 7,
  registrationsOpen: true,
  approvalRequired: false,
};

describe("compileJsonTemplate", () => {
  it("substitutes slots, keeps captured quirks and replaces the capture's host", () => {
    const doc = {
      uri: "localhost:3000",
      urls: { streaming_api: "ws://localhost:4000" },
      thumbnail: "http://localhost:3000/packs/preview.jpg",
      stats: { user_count: 1, status_count: "99", domain_count: 0 },
      title: "Mastodon",
      missing: null,
      contact_account: { id: "1", username: "someone" },
    };
    const t = compileJsonTemplate(
      doc,
      [
        { path: ["stats", "user_count"], key: "usersTotal" },
        { path: ["stats", "status_count"], key: "localPosts" },
        { path: ["title"], key: "title" },
        { path: ["missing"], key: "activeMonth" },
        { path: ["not", "there"], key: "activeHalfyear" },
      ],
      "localhost:3000",
      [["contact_account"]],
    );
    const out = JSON.parse(t.render(values)) as Record<string, unknown>;
    expect(out).toEqual({
      uri: "river-fox.social",
      urls: { streaming_api: "wss://river-fox.social" },
      thumbnail: "https://river-fox.social/packs/preview.jpg",
      stats: { user_count: 12, status_count: "1234", domain_count: 0 },
      title: "River Fox",
      missing: null,
      contact_account: null,
    });
    expect([...t.present].sort()).toEqual(["localPosts", "title", "usersTotal"]);
  });

  it("serves deliberately wrong types as given", () => {
    const t = compileJsonTemplate(
      { usage: { users: { total: 1 } } },
      [{ path: ["usage", "users", "total"], key: "usersTotal" }],
      null,
    );
    expect(JSON.parse(t.render({ ...values, usersTotal: "lots" }))).toEqual({
      usage: { users: { total: "lots" } },
    });
    expect(JSON.parse(t.render({ ...values, usersTotal: 1e15 }))).toEqual({
      usage: { users: { total: 1e15 } },
    });
  });
});

describe("TextTemplate", () => {
  it("replaces the host in URLs and bare names but not inside other names", () => {
    const t = new TextTemplate(
      '<Link template="https://mastodon.xyz/.well-known/webfinger?resource={uri}"/> media.mastodon.xyz notmastodon.xyz',
      "mastodon.xyz",
    );
    expect(t.render("owl-den.de")).toBe(
      '<Link template="https://owl-den.de/.well-known/webfinger?resource={uri}"/> media.owl-den.de notmastodon.xyz',
    );
  });
});
