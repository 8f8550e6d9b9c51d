import type { LookupAddress, LookupOptions } from "node:dns";
import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { networkInterfaces } from "node:os";
import { parseCidr } from "@keyplane/api";

/** Resolves a host name to its addresses (dns.lookup by default; tests inject their own). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

type EgressVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Refused by default: link-local (cloud metadata services live at 169.254.169.254 and
 * fd00:ec2::254) and the unspecified addresses (connecting to 0.0.0.0 reaches this host).
 * Private ranges stay allowed: model servers live there.
 */
const DEFAULT_UPSTREAM_DENY = ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "0.0.0.0/8", "::/128"];

const OK: EgressVerdict = { ok: true };
const SET_TIME_RESOLVE_MS = 1000;
const resolveAll: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** The eight groups of an IPv6 address (the contract's parser has checked its syntax). */
function hextets(text: string): number[] {
  let head = text;
  const tail: number[] = [];
  if (text.includes(".")) {
    const at = text.lastIndexOf(":");
    const [a, b, c, d] = text
      .slice(at + 1)
      .split(".")
      .map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    head = text.slice(0, at + 1);
    if (!head.endsWith("::")) head = head.slice(0, -1);
  }
  const [left, right] = head.split("::");
  const groups = (s: string | undefined) => (s ? s.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const l = groups(left);
  const r = [...groups(right), ...tail];
  const fill = right === undefined ? [] : Array(8 - l.length - r.length).fill(0);
  return [...l, ...fill, ...r];
}

/**
 * Every address an address stands for: itself, and the IPv4 address an IPv6 one carries
 * (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16),
 * so no encoding of 169.254.169.254 slips past a rule written for it.
 */
export function addressForms(address: string): { address: string; family: "ipv4" | "ipv6" }[] {
  const bare = address.replace(/^\[(.*)\]$/, "$1").split("%")[0];
  const v = isIP(bare);
  if (v === 4) return [{ address: bare, family: "ipv4" }];
  if (v !== 6) return [];
  const g = hextets(bare);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const forms: { address: string; family: "ipv4" | "ipv6" }[] = [{ address: bare, family: "ipv6" }];
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) forms.push({ address: v4(g[6], g[7]), family: "ipv4" });
  else if (zeros(0, 6) && (g[6] !== 0 || g[7] > 1)) forms.push({ address: v4(g[6], g[7]), family: "ipv4" });
  else if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) forms.push({ address: v4(g[6], g[7]), family: "ipv4" });
  else if (g[0] === 0x2002) forms.push({ address: v4(g[1], g[2]), family: "ipv4" });
  return forms;
}

/** CIDRs into one matcher; host names (lowercase) into a set. */
function rules(entries: readonly string[]): { cidrs: BlockList; hosts: Set<string> } {
  const cidrs = new BlockList();
  const hosts = new Set<string>();
  for (const entry of entries) {
    const c = parseCidr(entry);
    if (c) cidrs.addSubnet(c.address, c.prefix, c.family);
    else hosts.add(entry.toLowerCase());
  }
  return { cidrs, hosts };
}

/** The port a URL connects to, its scheme's default when it names none. */
export const portOf = (url: URL) => Number(url.port || (url.protocol === "https:" ? 443 : 80));

/** A URL's host as a resolver or an address check takes it: lowercase, an IPv6 literal without brackets. */
const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();

const matches = (r: { cidrs: BlockList }, address: string) =>
  addressForms(address).some((f) => r.cidrs.check(f.address, f.family));

/**
 * Where the gateway may send calls. Judged on the host a deployment names and on every
 * address it resolves to, when the upstreamUrl is set and again when each connection is made
 * (so a name that later resolves to a metadata address is refused too). In order: the
 * server's own listening address and port are always refused (a loop); a host or address
 * named by `allow` is allowed; one named by `deny` or the defaults is refused; the rest is allowed.
 */
export class EgressPolicy {
  private readonly allow: ReturnType<typeof rules>;
  private readonly deny: ReturnType<typeof rules>;
  private readonly self = new Map<number, BlockList>();
  private readonly resolver: Resolver;

  constructor(opts: { allow?: readonly string[]; deny?: readonly string[]; resolver?: Resolver } = {}) {
    this.allow = rules(opts.allow ?? []);
    this.deny = rules([...DEFAULT_UPSTREAM_DENY, ...(opts.deny ?? [])]);
    this.resolver = opts.resolver ?? resolveAll;
  }

  /** The addresses the server listens on; a wildcard bind stands for every local address. */
  listeningOn(addresses: readonly { address: string; port: number }[]): void {
    for (const { address, port } of addresses) {
      const list = this.self.get(port) ?? new BlockList();
      const local = addressForms(address)[0];
      if (local?.address === "0.0.0.0" || local?.address === "::") {
        list.addSubnet("127.0.0.0", 8, "ipv4");
        list.addAddress("::1", "ipv6");
        list.addAddress("0.0.0.0", "ipv4");
        list.addAddress("::", "ipv6");
        for (const nic of Object.values(networkInterfaces()).flat())
          if (nic) list.addAddress(nic.address.split("%")[0], nic.family === "IPv4" ? "ipv4" : "ipv6");
      } else if (local) list.addAddress(local.address, local.family);
      this.self.set(port, list);
    }
  }

  /** Whether a resolved (or literal) address may be connected to on this port. */
  judgeAddress(address: string, port: number, host?: string): EgressVerdict {
    const self = this.self.get(port);
    if (self && addressForms(address).some((f) => self.check(f.address, f.family)))
      return { ok: false, reason: `${address}:${port} is this server's own address` };
    if ((host !== undefined && this.allow.hosts.has(host)) || matches(this.allow, address)) return OK;
    if (matches(this.deny, address))
      return { ok: false, reason: `${address} is refused by the upstream egress policy` };
    return OK;
  }

  /** The checks that need no resolution: a denied host name, or a literal address. */
  judgeHost(url: URL): EgressVerdict {
    const host = hostOf(url);
    const port = portOf(url);
    if (isIP(host)) return this.judgeAddress(host, port);
    if (!this.allow.hosts.has(host) && this.deny.hosts.has(host))
      return { ok: false, reason: `${host} is refused by the upstream egress policy` };
    return OK;
  }

  /**
   * When an upstreamUrl is set: its host, and every address it resolves to now. A name that
   * does not resolve yet (a service still being created) is let through; each connection is judged again.
   */
  async judgeUrl(url: URL): Promise<EgressVerdict> {
    const literal = this.judgeHost(url);
    const host = hostOf(url);
    if (!literal.ok || isIP(host)) return literal;
    const port = portOf(url);
    let found: { address: string }[];
    let timer: NodeJS.Timeout | undefined;
    try {
      // A slow resolver does not hold the write up: past a second, the connection-time check stands alone.
      const late = new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error("slow")), SET_TIME_RESOLVE_MS)),
      );
      found = await Promise.race([this.resolver(host), late]);
    } catch {
      return OK;
    } finally {
      clearTimeout(timer);
    }
    for (const a of found) {
      const verdict = this.judgeAddress(a.address, port, host);
      if (!verdict.ok) return verdict;
    }
    return OK;
  }

  /**
   * A `lookup` for http.request: resolves, then keeps only the addresses this policy allows
   * for the port; none left fails the connection. Literal addresses never reach a lookup,
   * so callers judge them with judgeHost first.
   */
  lookupFor(port: number) {
    return (
      hostname: string,
      options: LookupOptions,
      callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
    ) => {
      const host = hostname.toLowerCase();
      this.resolver(host).then(
        (found) => {
          const family = options.family === 4 || options.family === 6 ? options.family : undefined;
          const allowed = found.filter(
            (a) => (family === undefined || a.family === family) && this.judgeAddress(a.address, port, host).ok,
          );
          if (allowed.length === 0) {
            const reason = found.length ? this.judgeAddress(found[0].address, port, host) : undefined;
            const err: NodeJS.ErrnoException = new Error(
              reason && !reason.ok ? reason.reason : `${hostname} did not resolve`,
            );
            err.code = "EGRESS_REFUSED";
            return callback(err, []);
          }
          if (options.all)
            return callback(
              null,
              allowed.map((a) => ({ address: a.address, family: a.family })),
            );
          callback(null, allowed[0].address, allowed[0].family);
        },
        (e: NodeJS.ErrnoException) => callback(e, []),
      );
    };
  }
}
