import type { MessagePort } from "node:worker_threads";
import type { Db } from "./db.js";

/**
 * The store across threads. The embedded store (PGlite) lives in one thread; another thread (the
 * API's, under `fedimon run`) reaches it through a MessagePort: each query is a message, answered
 * by the owner with its rows (structured clone keeps Dates, bigints and arrays) or its error's
 * message. Transactions are not offered across the port: the API only reads.
 */

type Call = { op: "query"; sql: string; params: readonly unknown[] } | { op: "exec"; sql: string };
type Request = Call & { id: number };
type Reply = { id: number; rows?: unknown[]; error?: { message: string; code?: string } };

/** Answers the queries arriving on `port` with `db`, until the port closes. */
export function serveDbOverPort(db: Db, port: MessagePort): void {
  port.on("message", (req: Request) => {
    const run = req.op === "query" ? db.query(req.sql, req.params) : db.exec(req.sql).then(() => []);
    run.then(
      (rows) => port.postMessage({ id: req.id, rows } satisfies Reply),
      (err: unknown) => {
        const e = err as { message?: unknown; code?: unknown };
        port.postMessage({
          id: req.id,
          error: {
            message: typeof e?.message === "string" ? e.message : String(err),
            ...(typeof e?.code === "string" ? { code: e.code } : {}),
          },
        } satisfies Reply);
      },
    );
  });
}

/** A Db whose queries run in the thread at the other end of `port` ({@link serveDbOverPort}). */
export class PortDb implements Db {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (err: Error) => void }>();

  constructor(
    readonly kind: Db["kind"],
    private readonly port: MessagePort,
  ) {
    port.on("message", (reply: Reply) => {
      const waiting = this.#pending.get(reply.id);
      if (!waiting) return;
      this.#pending.delete(reply.id);
      if (reply.error)
        waiting.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else waiting.resolve(reply.rows ?? []);
    });
    port.on("close", () => {
      for (const w of this.#pending.values()) w.reject(new Error("the store's thread has gone"));
      this.#pending.clear();
    });
  }

  #send(req: Call): Promise<unknown[]> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.port.postMessage({ ...req, id });
    });
  }

  async query<T extends object>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.#send({ op: "query", sql, params: [...params] })) as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.#send({ op: "exec", sql });
  }

  transaction<T>(): Promise<T> {
    return Promise.reject(new Error("transactions are not available across threads"));
  }

  async close(): Promise<void> {
    this.port.close();
  }
}
