// Credentials a client wrongly put in a URL's query (a keyplane key anywhere, or a value of a
// parameter named like a credential) never reach the request log.
const KEY_VALUE = /kp_[0-9A-Za-z]+/g;
const CREDENTIAL_PARAM =
  /^(?:key|api[-_]?key|x-api-key|token|access[-_]?token|auth|authorization|secret|password|session)$/i;

/** The URL as logged: its path, and its query with credential values replaced by "[redacted]". */
export function loggableUrl(url: string): string {
  const at = url.indexOf("?");
  const path = url.slice(0, at < 0 ? url.length : at).replace(KEY_VALUE, "[redacted]");
  if (at < 0) return path;
  const query = url
    .slice(at + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair.replace(KEY_VALUE, "[redacted]");
      let name = pair.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        /* a malformed escape: judge the raw name */
      }
      return CREDENTIAL_PARAM.test(name) ? `${pair.slice(0, eq)}=[redacted]` : pair.replace(KEY_VALUE, "[redacted]");
    })
    .join("&");
  return `${path}?${query}`;
}
