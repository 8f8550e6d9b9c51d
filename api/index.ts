export { parseCidr } from "./cidr";
export * from "./duration";
export * from "./errors";
export * from "./issues";
export { ROUTES, type RouteSpec } from "./routes";
export * as schemas from "./schemas";
export * from "./types";
