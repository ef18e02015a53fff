export { HTTP_STATUS, statusOf, toApiError } from "./errors.ts";
export { type ApiOptions, DEFAULT_API_OPTIONS, type RateLimitOptions } from "./options.ts";
export { EVENT_SCAN_BLOCKS } from "./routes/events.ts";
export {
  type ApiContext,
  createApiServer,
  type RouteInfo,
  type RunningApi,
  registeredRoutes,
  startApi,
} from "./server.ts";
export { VERSION } from "./version.ts";
