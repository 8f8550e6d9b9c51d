import { BlockList } from "node:net";
import { parseCidr } from "@keyplane/api";

type Family = "ipv4" | "ipv6";

/** An address as the socket or a proxy reports it, with IPv4-mapped IPv6 (::ffff:10.0.0.1) read as IPv4. */
function normalizeAddress(address: string): { address: string; family: Family } | undefined {
  const text = address.trim().replace(/^\[(.*)\]$/, "$1");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  const plain = mapped ? mapped[1] : text;
  const parsed = parseCidr(plain);
  if (!parsed || plain.includes("/")) return undefined;
  return { address: plain, family: parsed.family };
}

/** A matcher for a list of CIDRs (checked by the contract before they are stored). */
export function cidrList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const c = parseCidr(cidr);
    if (c) list.addSubnet(c.address, c.prefix, c.family);
  }
  return list;
}

export function listContains(list: BlockList, address: string): boolean {
  const a = normalizeAddress(address);
  return a !== undefined && list.check(a.address, a.family);
}

/**
 * allowedCidrs as stored (a JSON array) to matchers, remembered by their text: the gateway
 * judges every call, and parsing the list each time would cost more than the check.
 */
export class AllowedCidrs {
  private readonly lists = new Map<string, BlockList | null>();

  constructor(private readonly limit = 10_000) {}

  /** True when the key allows calls from `address` (an empty list allows every address). */
  allows(storedCidrs: string, address: string): boolean {
    let list = this.lists.get(storedCidrs);
    if (list === undefined) {
      const cidrs = JSON.parse(storedCidrs) as string[];
      list = cidrs.length ? cidrList(cidrs) : null;
      if (this.lists.size >= this.limit) this.lists.delete(this.lists.keys().next().value!);
      this.lists.set(storedCidrs, list);
    }
    return list === null || listContains(list, address);
  }
}
