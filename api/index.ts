export * as schemas from "./schemas";
export * from "./types";
export * from "./errors";
export * from "./duration";
export * from "./issues";
export { parseCidr } from "./cidr";
export { ROUTES, type RouteSpec } from "./routes";
