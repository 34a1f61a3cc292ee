import { parse } from "tldts";

/**
 * Two-letter country-code TLDs that are delegated and in use, each equal to its ISO 3166-1 alpha-2
 * code except where {@link CCTLD_TO_ISO} says otherwise. Generated from the public-suffix list
 * crossed with ICU's region names, then checked by hand (wildcard-only entries such as `.ck`, `.er`,
 * `.fk`, `.jm`, `.mm`, `.np`, `.pg`, `.za` added; unused or retired ones such as `.bl`, `.mf`, `.um`,
 * `.tp`, `.yu` left out).
 */
const CCTLDS = (
  "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bv bw by bz " +
  "ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu fi fj fk fm " +
  "fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is " +
  "it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm " +
  "mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr " +
  "ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg " +
  "th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw"
).split(" ");

/** ccTLDs whose ISO 3166-1 code differs from the TLD (`.uk` is the United Kingdom, GB). */
const CCTLD_TO_ISO: Readonly<Record<string, string>> = { uk: "GB", ac: "SH" };

/**
 * Internationalised ccTLDs (in their ASCII, punycode form, as domains are stored) and their
 * countries. `.ею` (xn--e1a4c, the EU) is deliberately absent: see {@link NO_COUNTRY_TLDS}.
 */
export const IDN_CCTLDS: Readonly<Record<string, string>> = {
  "xn--p1ai": "RU", // .рф
  "xn--j1amh": "UA", // .укр
  "xn--90ais": "BY", // .бел
  "xn--90a3ac": "RS", // .срб
  "xn--d1alf": "MK", // .мкд
  "xn--80ao21a": "KZ", // .қаз
  "xn--l1acc": "MN", // .мон
  "xn--90ae": "BG", // .бг
  "xn--fiqs8s": "CN", // .中国
  "xn--fiqz9s": "CN", // .中國
  "xn--kprw13d": "TW", // .台湾
  "xn--kpry57d": "TW", // .台灣
  "xn--j6w193g": "HK", // .香港
  "xn--mix891f": "MO", // .澳門
  "xn--yfro4i67o": "SG", // .新加坡
  "xn--clchc0ea0b2g2a9gcd": "SG", // .சிங்கப்பூர்
  "xn--3e0b707e": "KR", // .한국
  "xn--o3cw4h": "TH", // .ไทย
  "xn--qxam": "GR", // .ελ
  "xn--h2brj9c": "IN", // .भारत
  "xn--fzc2c9e2c": "LK", // .ලංකා
  "xn--54b7fta0cc": "BD", // .বাংলা
  "xn--node": "GE", // .გე
  "xn--y9a3aq": "AM", // .հայ
  "xn--wgbh1c": "EG", // .مصر
  "xn--mgberp4a5d4ar": "SA", // .السعودية
  "xn--mgbaam7a8h": "AE", // .امارات
  "xn--mgba3a4f16a": "IR", // .ایران
  "xn--mgbai9azgqp6j": "PK", // .پاکستان
  "xn--lgbbat1ad8j": "DZ", // .الجزائر
  "xn--mgbc0a9azcg": "MA", // .المغرب
  "xn--pgbs0dh": "TN", // .تونس
  "xn--wgbl6a": "QA", // .قطر
  "xn--mgb9awbf": "OM", // .عمان
  "xn--ygbi2ammx": "PS", // .فلسطين
};

/**
 * Country-code TLDs that name no single country, so the server's address decides instead.
 * Each entry's reason is shown in docs/geo.md.
 */
export const NO_COUNTRY_TLDS: ReadonlyMap<string, string> = new Map([
  ["eu", "the European Union spans 27 countries; the address says which one (or that it is elsewhere)"],
  ["xn--e1a4c", ".ею, the Cyrillic .eu: as .eu"],
  ["su", "the Soviet Union no longer exists; registrants are spread over its successor states and beyond"],
]);

/**
 * ccTLDs commonly registered as generic brands, by people with no tie to the country: the domain
 * says nothing about where a server is, so they fall through to the address. The reason for each
 * is part of the documentation (docs/geo.md, checked by a test to list every entry).
 */
export const BRAND_CCTLDS: ReadonlyMap<string, string> = new Map([
  ["ac", "Ascension Island: sold worldwide for 'academic' and 'access' names"],
  ["ai", "Anguilla: sold worldwide as 'artificial intelligence'"],
  ["am", "Armenia: open worldwide, used for 'AM radio' and 'I am' names"],
  ["bz", "Belize: sold worldwide as a look-alike of .biz"],
  ["cc", "Cocos (Keeling) Islands: run commercially and sold worldwide as a generic"],
  ["cf", "Central African Republic: was a Freenom free TLD, registered from anywhere"],
  ["co", "Colombia: marketed worldwide as 'company'"],
  ["cx", "Christmas Island: about 1,700 residents; sold worldwide ('customer experience')"],
  ["dj", "Djibouti: used for DJ and music names"],
  ["fm", "Micronesia: used for radio, podcasts and music"],
  ["ga", "Gabon: was a Freenom free TLD, registered from anywhere"],
  ["gg", "Guernsey: used as 'good game' by gaming communities"],
  ["gq", "Equatorial Guinea: was a Freenom free TLD, registered from anywhere"],
  ["im", "Isle of Man: used for 'instant messaging' and 'I'm' names"],
  ["io", "British Indian Ocean Territory: has no resident public; the technology generic"],
  ["is", "Iceland: open worldwide and popular for 'this.is'-style names (a borderline entry)"],
  ["la", "Laos: marketed as Los Angeles and as the Romance article 'la'"],
  ["ly", "Libya: used for '-ly' names (bit.ly)"],
  ["md", "Moldova: marketed to doctors and Markdown fans"],
  ["me", "Montenegro: marketed worldwide as 'me'"],
  ["ml", "Mali: was a Freenom free TLD, registered from anywhere"],
  ["ms", "Montserrat: about 4,500 residents; used for 'Microsoft' and 'ms' names"],
  ["nu", "Niue: about 1,700 residents; 'nu' means 'now' in Swedish, Danish and Dutch"],
  ["pw", "Palau: sold worldwide as 'professional web'"],
  ["sh", "Saint Helena: used for shell and command-line themed names"],
  ["so", "Somalia: marketed worldwide as 'so' and 'social'"],
  ["st", "São Tomé and Príncipe: sold worldwide for 'street', 'store' and 'startup' names"],
  ["tk", "Tokelau: was a Freenom free TLD, the most registered ccTLD, from anywhere"],
  ["to", "Tonga: used for 'to' wordplay (go.to, link shorteners)"],
  ["tv", "Tuvalu: about 11,000 residents; sold worldwide for television and streaming"],
  ["vc", "Saint Vincent and the Grenadines: sold worldwide as 'venture capital'"],
  ["ws", "Samoa: sold worldwide as 'website'"],
]);

const CCTLD_SET = new Set(CCTLDS);

/** Second levels reserved for a country's public bodies (`gov.co`, `ac.im`, `edu.tv`...). */
const PUBLIC_SECOND_LEVELS = new Set(["gov", "gob", "go", "govt", "edu", "ac", "mil"]);

/** What a domain's TLD says about its country. */
export type TldVerdict =
  /** A ccTLD used by its own country: the TLD decides. */
  | { kind: "country"; country: string; tld: string }
  /** A ccTLD used as a generic brand (or naming no single country): the address decides. */
  | { kind: "brand"; tld: string; reason: string }
  /** A generic TLD (`.social`, `.com`, `.xyz`...) or none: the address decides. */
  | { kind: "generic"; tld: string };

/**
 * The country a domain's TLD stands for, if it stands for one. Brand ccTLDs still count as their
 * country under a second level the registry reserves for public bodies (`gov.co`, `edu.co`,
 * `ac.im`: ICANN section of the public-suffix list), since only local institutions get those.
 * Pure; never throws.
 */
export function countryFromTld(domain: string): TldVerdict {
  const host = domain.trim().toLowerCase().replace(/\.+$/, "");
  const dot = host.lastIndexOf(".");
  const tld = dot >= 0 ? host.slice(dot + 1) : host;
  const idn = IDN_CCTLDS[tld];
  if (idn) return { kind: "country", country: idn, tld };
  const noCountry = NO_COUNTRY_TLDS.get(tld);
  if (noCountry) return { kind: "brand", tld, reason: noCountry };
  if (!CCTLD_SET.has(tld)) return { kind: "generic", tld };
  const country = CCTLD_TO_ISO[tld] ?? tld.toUpperCase();
  const brand = BRAND_CCTLDS.get(tld);
  if (!brand) return { kind: "country", country, tld };
  // Government and academic names under the registry's own second level stay local.
  const suffix = parse(host, { allowPrivateDomains: false }).publicSuffix;
  if (suffix && suffix.endsWith(`.${tld}`) && PUBLIC_SECOND_LEVELS.has(suffix.slice(0, -tld.length - 1))) {
    return { kind: "country", country, tld };
  }
  return { kind: "brand", tld, reason: brand };
}
