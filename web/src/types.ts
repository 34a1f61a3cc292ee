/**
 * The API's answers, typed from the same zod schemas that validate them on the server (type-only
 * imports: nothing of the server ends up in the bundle), so the dashboard cannot drift from the API.
 */
import type { z } from "zod";
import type * as R from "../../src/api/schemas/releases.js";
import type * as Sv from "../../src/api/schemas/servers.js";
import type * as St from "../../src/api/schemas/stats.js";
import type * as Sm from "../../src/api/schemas/stream.js";

export type Summary = z.output<typeof St.Summary>;
export type Timeseries = z.output<typeof St.Timeseries>;
export type SoftwareBreakdown = z.output<typeof St.SoftwareBreakdown>;
export type VersionsBreakdown = z.output<typeof St.VersionsBreakdown>;
export type CountriesBreakdown = z.output<typeof St.CountriesBreakdown>;
export type NetworksBreakdown = z.output<typeof St.NetworksBreakdown>;
export type HttpsBreakdown = z.output<typeof St.HttpsBreakdown>;
export type Concentration = z.output<typeof St.Concentration>;
export type ServerPage = z.output<typeof Sv.ServerPage>;
export type ServerListItem = z.output<typeof Sv.ServerListItem>;
export type ServerDetail = z.output<typeof Sv.ServerDetail>;
export type ServerHistory = z.output<typeof Sv.ServerHistory>;
export type ServerChecks = z.output<typeof Sv.ServerChecks>;
export type Releases = z.output<typeof R.Releases>;
export type ReleaseAdoption = z.output<typeof R.ReleaseAdoption>;
export type Advisories = z.output<typeof R.Advisories>;
export type PatchAdoption = z.output<typeof R.PatchAdoption>;
export type PatchAdoptionHistory = z.output<typeof R.PatchAdoptionHistory>;
export type Hashtags = z.output<typeof Sm.Hashtags>;
export type Activity = z.output<typeof Sm.Activity>;
export type Changes = z.output<typeof Sm.Changes>;
