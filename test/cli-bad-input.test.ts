/**
 * Bad command lines, through the real program in a child process: each is refused with a failing
 * exit code and one clear line on stderr, promptly (nothing left open keeps it alive), and
 * leaves nothing behind: no data folder made, no files written into a folder that is not a store,
 * no raw bytes from a file echoed.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
/** Longer than any refusal takes (tsx's start included), far shorter than a hang. */
const PROMPT_MILLIS = 15_000;

interface Ran {
  code: number | null;
  signal: string | null;
  stderr: string;
  millis: number;
}

function runCli(args: readonly string[], cwd: string): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), MAIN, ...args], {
      cwd,
      env: { ...process.env, DATABASE_URL: "", FEDIMON_DB: "", NO_COLOR: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("latin1")));
    const timer = setTimeout(() => child.kill("SIGKILL"), PROMPT_MILLIS);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, millis: Date.now() - started });
    });
  });
}

describe("bad command lines", () => {
  const dir = mkdtempSync(join(tmpdir(), "fedimon-cli-bad-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, content: string | Buffer): string => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };

  it("refuses each with exit 1 or 2 and one readable line, promptly, leaving nothing behind", async () => {
    const notAStore = join(dir, "photos");
    mkdirSync(notAStore);
    writeFileSync(join(notAStore, "cat.jpg"), "not a database");
    const store = join(dir, "never-made");
    const binaryDeny = file(
      "deny.csv",
      Buffer.from([0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x07, 0xff, 0xfe, 0x0a, 0x00, 0x2c, 0x0d]),
    );
    const cases: [string, string[], number, RegExp][] = [
      [
        "bad --only-networks",
        ["crawl", "--once", "--only-networks", "127.0.0.0/33"],
        2,
        /--only-networks: "127\.0\.0\.0\/33" is not a CIDR/,
      ],
      [
        "bad --allow-networks on serve",
        ["serve", "--allow-networks", "lan"],
        2,
        /--allow-networks: "lan" is not a CIDR/,
      ],
      [
        "--dns-server port 0",
        ["crawl", "--once", "--dns-server", "127.0.0.1:0"],
        2,
        /--dns-server: "127\.0\.0\.1:0": the port must be/,
      ],
      [
        "--dns-server port 99999",
        ["run", "--dns-server", "127.0.0.1:99999"],
        2,
        /the port must be a number from 1 to 65535/,
      ],
      [
        "--dns-server a name",
        ["crawl", "--dns-server", "dns.example:53"],
        2,
        /the host must be an IP address/,
      ],
      [
        "--db mysql://",
        ["crawl", "--once", "--db", "mysql://root:hunter2@db/x"],
        2,
        /--db: "mysql:\/\/" URLs are not supported/,
      ],
      [
        "--db a folder of other files",
        ["crawl", "--once", "--db", notAStore],
        1,
        /is not an embedded store \(it holds 1 other entries\)/,
      ],
      [
        "--db under /proc",
        ["serve", "--db", "/proc/self/x"],
        1,
        /--db "\/proc\/self\/x": cannot create the data folder/,
      ],
      [
        "--config an array",
        ["crawl", "--config", file("a.json", "[1]")],
        2,
        /must be a JSON object of settings/,
      ],
      [
        "--config an unknown key",
        ["crawl", "--config", file("b.json", '{"concurency": 4}')],
        2,
        /unknown setting "concurency"/,
      ],
      [
        "--seed all invalid",
        ["crawl", "--once", "--seed", "not a domain,also bad"],
        2,
        /--seed: not a domain name: "not a domain", "also bad"/,
      ],
      [
        "--misreport-overrides with an unknown rule",
        [
          "crawl",
          "--once",
          "--misreport-overrides",
          file("overrides.csv", "domain,clear\nbig.example,no_such_rule\n"),
        ],
        2,
        /--misreport-overrides: ".*": line 2: unknown misreport rule id\(s\) no_such_rule$/,
      ],
      [
        "--deny-list without a usable row",
        ["crawl", "--once", "--deny-list", binaryDeny],
        2,
        /--deny-list: .* has no usable row \(row 1: invalid domain "\\u001b\[31m\\u0007/,
      ],
      // `run` builds its release poller as `releases` does: the same checks, the same refusals.
      [
        "releases --github-api not http(s)",
        ["releases", "--once", "--github-api", "ftp://api.example/"],
        1,
        /^fedimon: --github-api: not an http\(s\) URL: ftp:\/\/api\.example\/$/,
      ],
      [
        "run --github-api not http(s)",
        ["run", "--github-api", "ftp://api.example/"],
        1,
        /^fedimon: --github-api: not an http\(s\) URL: ftp:\/\/api\.example\/$/,
      ],
      [
        "releases --eol-table missing",
        ["releases", "--once", "--eol-table", join(dir, "no-eol.json")],
        1,
        /^fedimon: --eol-table \S+no-eol\.json: ENOENT/,
      ],
      [
        "run --eol-table missing",
        ["run", "--eol-table", join(dir, "no-eol.json")],
        1,
        /^fedimon: --eol-table \S+no-eol\.json: ENOENT/,
      ],
    ];
    const results: [string, Ran][] = [];
    // Two at a time: each is a Node process starting tsx.
    for (let i = 0; i < cases.length; i += 2) {
      const batch = cases.slice(i, i + 2).map(async ([what, args]) => {
        const db = args.includes("--db") ? [] : ["--db", store];
        return [what, await runCli([...args, ...db], dir)] as [string, Ran];
      });
      results.push(...(await Promise.all(batch)));
    }
    for (const [i, [what, ran]] of results.entries()) {
      const [, , code, message] = cases[i]!;
      const lines = ran.stderr.trim().split("\n");
      expect(ran.signal, `${what} hung: ${ran.stderr}`).toBe(null);
      expect({ what, code: ran.code, lines }).toEqual({
        what,
        code,
        lines: [expect.stringMatching(message)],
      });
      expect(lines[0], what).toMatch(/^fedimon: /);
      // Nothing but printable ASCII (and the ellipsis of a cut value): no byte from a file.
      expect(ran.stderr, what).toMatch(/^[\x20-\x7e…\n]*$/);
      expect(ran.stderr, what).not.toContain("hunter2");
    }
    expect(existsSync(store), "a data folder was made for a refused command line").toBe(false);
    expect(existsSync(join(dir, "mysql:"))).toBe(false);
    expect(readdirSync(notAStore)).toEqual(["cat.jpg"]);
  });
});
