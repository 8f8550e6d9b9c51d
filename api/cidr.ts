// CIDR syntax, checked without node:net so the contract stays usable wherever zod runs
// (provider preview, console). The server builds its matcher from the same strings.

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function isIPv4Address(text: string): boolean {
  return IPV4.test(text);
}

function isIPv6Address(text: string): boolean {
  let head = text;
  let width = 8;
  if (text.includes(".")) {
    // A trailing dotted quad (::ffff:10.0.0.1) stands for the last two groups.
    const at = text.lastIndexOf(":");
    if (at < 0 || !isIPv4Address(text.slice(at + 1))) return false;
    head = text.slice(0, at + 1);
    if (!head.endsWith("::")) head = head.slice(0, -1);
    width = 6;
  }
  const halves = head.split("::");
  if (halves.length > 2) return false;
  const parts = halves.map((h) => (h === "" ? [] : h.split(":")));
  if (!parts.every((p) => p.every((g) => HEXTET.test(g)))) return false;
  const count = parts.reduce((n, p) => n + p.length, 0);
  return halves.length === 2 ? count < width : count === width;
}

/** `a.b.c.d/n`, an IPv6 prefix `x::/n`, or a single address (a /32 or /128). */
export function parseCidr(text: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | undefined {
  const [address, prefixText, ...rest] = text.split("/");
  if (rest.length > 0) return undefined;
  const family = isIPv4Address(address) ? "ipv4" : isIPv6Address(address) ? "ipv6" : undefined;
  if (!family) return undefined;
  const max = family === "ipv4" ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return undefined;
  return { address, prefix: Number(prefixText), family };
}
