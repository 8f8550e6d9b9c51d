import { strict as assert } from "node:assert";
import { GatewayLookupCache } from "@keyplane/server/dist/gateway/lookup-cache";

describe("gateway lookup cache", () => {
  const loader = (value: string | undefined) => {
    const calls = { n: 0 };
    return {
      calls,
      load: async () => {
        calls.n++;
        return value;
      },
    };
  };

  it("remembers a found row per key and model, and loads each once", async () => {
    const cache = new GatewayLookupCache<string>(() => true);
    const a = loader("row-a");
    assert.equal(await cache.lookup("h1", "m", a.load), "row-a");
    assert.equal(await cache.lookup("h1", "m", a.load), "row-a");
    assert.equal(a.calls.n, 1);
    const b = loader("row-b");
    assert.equal(await cache.lookup("h1", "other-model", b.load), "row-b");
    assert.equal(b.calls.n, 1, "the model is part of the identity");
  });

  it("answers a hit at once, not as a promise (the gateway's synchronous path)", async () => {
    const cache = new GatewayLookupCache<string>(() => true);
    const first = cache.lookup("h1", "m", async () => "row");
    assert.ok(first instanceof Promise, "a miss loads");
    await first;
    assert.equal(
      cache.lookup("h1", "m", async () => "other"),
      "row",
    );
  });

  it("does not remember unknown keys", async () => {
    const cache = new GatewayLookupCache<string>(() => true);
    const none = loader(undefined);
    await cache.lookup("h", "m", none.load);
    await cache.lookup("h", "m", none.load);
    assert.equal(none.calls.n, 2);
    assert.equal(cache.size, 0);
  });

  it("forgets everything after a write, and never stores a lookup that a write overtook", async () => {
    const cache = new GatewayLookupCache<string>(() => true);
    await cache.lookup("h", "m", async () => "old");
    cache.forgetAll();
    assert.equal(await cache.lookup("h", "m", async () => "new"), "new");

    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inFlight = cache.lookup("h2", "m", async () => {
      await gate;
      return "read-before-the-write";
    });
    cache.forgetAll(); // a write commits while the read is in flight
    release();
    assert.equal(await inFlight, "read-before-the-write", "the caller still gets its answer");
    assert.equal(await cache.lookup("h2", "m", async () => "after"), "after", "but it was not remembered");
  });

  it("lets concurrent misses on one entry share one lookup, but never one a write overtook", async () => {
    const cache = new GatewayLookupCache<string>(() => true);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = { n: 0 };
    const load = async () => {
      slow.n++;
      await gate;
      return "row";
    };
    // 32 connections calling one key at once: one query.
    const answers = Array.from({ length: 32 }, () => cache.lookup("h", "m", load));
    release();
    assert.deepEqual(await Promise.all(answers), Array(32).fill("row"));
    assert.equal(slow.n, 1);

    let releaseOld!: () => void;
    const oldGate = new Promise<void>((r) => (releaseOld = r));
    const before = cache.lookup("h2", "m", async () => {
      await oldGate;
      return "read-before-the-write";
    });
    cache.forgetAll(); // a write is acknowledged while that read is in flight
    const after = cache.lookup("h2", "m", async () => "read-after-the-write");
    releaseOld();
    assert.equal(await before, "read-before-the-write");
    assert.equal(await after, "read-after-the-write", "a call after the write makes its own lookup");
    assert.equal(
      cache.lookup("h2", "m", async () => "again"),
      "read-after-the-write",
      "and that one is remembered",
    );
  });

  it("stays within its limit, dropping the oldest entry", async () => {
    const cache = new GatewayLookupCache<string>(() => true, 3);
    for (const h of ["a", "b", "c", "d"]) await cache.lookup(h, "m", async () => h);
    assert.equal(cache.size, 3);
    const a = loader("a2");
    assert.equal(await cache.lookup("a", "m", a.load), "a2");
    assert.equal(a.calls.n, 1, "the oldest was dropped");
  });

  it("passes every lookup through while not usable (PostgreSQL without news of other replicas' writes)", async () => {
    const cache = new GatewayLookupCache<string>(() => false);
    const a = loader("row");
    await cache.lookup("h", "m", a.load);
    await cache.lookup("h", "m", a.load);
    assert.equal(a.calls.n, 2);
    assert.equal(cache.size, 0);
  });
});
