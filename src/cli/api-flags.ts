import type { Command } from "commander";
import type { ApiOptions } from "../api/index.js";
import type { BotOptions } from "../api/feed/bot.js";
import { createHttpStatusPoster, type StatusPoster } from "../api/feed/poster.js";
import type { Config } from "../config/index.js";

/** The API flags shared by `serve` and `run`. */
export interface ApiFlags {
  publicUrl?: string;
  dumpsDir?: string;
  rateLimit?: string;
  trustProxy?: boolean;
  mastodonUrl?: string;
  simulated?: boolean;
  /** Commander's form of `--no-response-cache`. */
  responseCache?: boolean;
}

/** Adds the API flags to a command. */
export function addApiOptions(cmd: Command): Command {
  return cmd
    .option("--public-url <url>", "this instance's public base URL (feed links, bot posts, dump manifests)")
    .option(
      "--dumps-dir <dir>",
      "where the daily open-data dumps are written and served at /dumps/",
      "./fedimon-dumps",
    )
    .option("--rate-limit <n>", "API requests per client per minute before 429 (default 600; 0 turns it off)")
    .option("--trust-proxy", "take client addresses from X-Forwarded-For (behind a reverse proxy)")
    .option(
      "--simulated",
      "label the data as simulated in the summary and on every dashboard page (the demo)",
    )
    .option(
      "--no-response-cache",
      "answer every API request afresh (no cached responses, Cache-Control max-age=0); the demo uses it while its store fills",
    )
    .option(
      "--mastodon-url <url>",
      "post a weekly summary to this Mastodon server as a bot (token from env FEDIMON_MASTODON_TOKEN)",
    );
}

/** API options from the flags. */
export function apiOptionsFromFlags(flags: ApiFlags): ApiOptions {
  const rate = flags.rateLimit === undefined ? undefined : Number(flags.rateLimit);
  if (rate !== undefined && !(Number.isInteger(rate) && rate >= 0))
    throw new Error("--rate-limit: a whole number, 0 or more");
  return {
    ...(flags.publicUrl ? { publicUrl: flags.publicUrl } : {}),
    dumpsDir: flags.dumpsDir ?? null,
    ...(rate !== undefined ? { rateLimitPerMinute: rate } : {}),
    ...(flags.trustProxy ? { trustProxy: true } : {}),
    ...(flags.simulated ? { simulated: true } : {}),
    ...(flags.responseCache === false ? { cache: false } : {}),
  };
}

/**
 * The weekly bot, when `--mastodon-url` and `FEDIMON_MASTODON_TOKEN` are both given; else null. It
 * posts through `config`'s network rules (`--dns-server`, `--allow-networks`, `--only-networks`).
 */
export function botFromFlags(
  flags: ApiFlags,
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): (BotOptions & { poster: StatusPoster }) | null {
  if (!flags.mastodonUrl) return null;
  const token = env.FEDIMON_MASTODON_TOKEN?.trim();
  if (!token) throw new Error("--mastodon-url needs the bot's access token in FEDIMON_MASTODON_TOKEN");
  const url = new URL(flags.mastodonUrl);
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new Error("--mastodon-url: an http(s) URL");
  return {
    serverUrl: url.origin,
    accessToken: token,
    publicUrl: flags.publicUrl ?? null,
    poster: createHttpStatusPoster({ config }),
  };
}
