import type { ApiOptions } from "../api/index.js";
import type { BotOptions } from "../api/feed/bot.js";
import { createHttpStatusPoster, type StatusPoster } from "../api/feed/poster.js";
import type { Config } from "../config/index.js";

/** The API flags shared by `serve` and `run` (declared in `options.ts`). */
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
 * The weekly bot, when `--mastodon-url` and `FEDIMON_MASTODON_TOKEN` (`config.mastodonToken`) are
 * both given; else null. It posts through `config`'s network rules (`--dns-server`,
 * `--allow-networks`, `--only-networks`).
 */
export function botFromFlags(
  flags: ApiFlags,
  config: Config,
): (BotOptions & { poster: StatusPoster }) | null {
  if (!flags.mastodonUrl) return null;
  const token = config.mastodonToken;
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
