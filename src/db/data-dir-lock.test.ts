import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DataDirBusyError, lockDataDir, readLockHolder } from "./data-dir-lock.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "fedimon-lock-"));
  dirs.push(d);
  return d;
}

describe("the data folder's lock", () => {
  it("is held by one holder at a time, says who holds it, and is free again once released", () => {
    const dir = tempDir();
    const first = lockDataDir(dir);
    first.announceApi("http://127.0.0.1:8123");
    let err: unknown;
    try {
      lockDataDir(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataDirBusyError);
    const busy = err as DataDirBusyError;
    expect(busy.holder).toMatchObject({ pid: process.pid, apiUrl: "http://127.0.0.1:8123" });
    expect(busy.message).not.toContain("\n");
    expect(busy.message).toContain("fedimon run");
    first.release();
    const second = lockDataDir(dir);
    expect(readLockHolder(dir)).toMatchObject({ pid: process.pid, apiUrl: null });
    second.release();
  });

  it("is freed by the kernel when its holder is killed with SIGKILL", async () => {
    const dir = tempDir();
    const mod = fileURLToPath(new URL("./data-dir-lock.ts", import.meta.url));
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `import(${JSON.stringify(mod)}).then((m) => { m.lockDataDir(${JSON.stringify(dir)}); console.log("locked"); setInterval(() => {}, 1000); });`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
      child.on("exit", (code) => reject(new Error(`child exited ${code}`)));
    });
    expect(() => lockDataDir(dir)).toThrow(DataDirBusyError);
    expect(readLockHolder(dir)?.pid).toBe(child.pid);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const lock = lockDataDir(dir);
    expect(readLockHolder(dir)?.pid).toBe(process.pid);
    lock.release();
  });
});
