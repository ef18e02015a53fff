export { AuditSubmitter, loadOrCreateGatewayKey } from "./blobs/audit.ts";
export { MAX_SKEW_MS, ReplayWindow, verifySignedRequest } from "./blobs/signed-request.ts";
export { type BlobStore, checkBlobHash, FsBlobStore } from "./blobs/store.ts";
export { HTTP_STATUS, statusOf, toApiError } from "./errors.ts";
export type { BlobOptions } from "./options.ts";
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
