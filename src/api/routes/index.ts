import type { AnyRoute } from "../route.js";
import {
  concentrationRoute,
  countriesRoute,
  httpsRoute,
  networksRoute,
  versionsRoute,
} from "./breakdowns.js";
import {
  advisoriesRoute,
  exposureRoute,
  patchAdoptionHistoryRoute,
  patchAdoptionRoute,
  releaseAdoptionRoute,
  releasesRoute,
} from "./releases.js";
import { serverChecksRoute, serverHistoryRoute, serverRoute, serversRoute } from "./servers.js";
import { activityRoute, changesRoute, hashtagRoute, hashtagsRoute } from "./stream.js";
import { softwareRoute, summaryRoute } from "./summary.js";
import { timeseriesRoute } from "./timeseries.js";

/** Every JSON endpoint under /api/v1, in the order the OpenAPI document lists them. */
export const API_ROUTES: readonly AnyRoute[] = [
  summaryRoute,
  serversRoute,
  serverRoute,
  serverHistoryRoute,
  serverChecksRoute,
  timeseriesRoute,
  softwareRoute,
  versionsRoute,
  countriesRoute,
  networksRoute,
  httpsRoute,
  concentrationRoute,
  releasesRoute,
  releaseAdoptionRoute,
  advisoriesRoute,
  exposureRoute,
  patchAdoptionRoute,
  patchAdoptionHistoryRoute,
  hashtagsRoute,
  hashtagRoute,
  activityRoute,
  changesRoute,
] as unknown as readonly AnyRoute[];
