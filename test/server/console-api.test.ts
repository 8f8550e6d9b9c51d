import { strict as assert } from "node:assert";
import { cookieOf, createKey, seedProject, signIn } from "../helpers/http";
import { ADMIN_TOKEN, DIALECTS, startTestServer, type TestServer } from "../helpers/server";

// The API the console needs (updatedAt, deployment counts, date-only expiry, scope changes in
// place) and the console session itself (cookie, CSRF, expiry, sign-out), over real HTTP.
for (const dialect of DIALECTS) {
  describe(`console API and sessions (${dialect})`, () => {
    let s: TestServer;
    let projectId: string;
    let otherProjectId: string;
    let depA: string;
    let depB: string;
    before(async () => {
      s = await startTestServer(dialect);
      const acme = await seedProject(s.admin, { name: "acme", deployments: { "dep-a": {}, "dep-b": {} } });
      projectId = acme.projectId;
      [depA, depB] = [acme.deployments["dep-a"], acme.deployments["dep-b"]];
      otherProjectId = (await seedProject(s.admin, { name: "other" })).projectId;
    });
    after(async () => s.close());

    const keys = () => `/v1/projects/${projectId}/api-keys`;

    it("a key carries updatedAt and its linked deployment count, both moved by binding changes", async () => {
      const key = await createKey(s.admin, projectId);
      assert.equal(key.updatedAt, key.createdAt);
      assert.equal(key.deploymentCount, 0);
      s.clock.advance(1000);
      await s.admin.put(`${keys()}/${key.id}/deployments/${depA}`);
      await s.admin.put(`${keys()}/${key.id}/deployments/${depB}`);
      let got = (await s.admin.get(`${keys()}/${key.id}`)).data;
      assert.equal(got.deploymentCount, 2);
      assert.ok(Date.parse(got.updatedAt) > Date.parse(got.createdAt));
      const listed = (await s.admin.get(keys())).data.items.find((k: any) => k.id === key.id);
      assert.equal(listed.deploymentCount, 2);
      s.clock.advance(1000);
      const before = got.updatedAt;
      assert.equal((await s.admin.delete(`${keys()}/${key.id}/deployments/${depA}`)).status, 204);
      got = (await s.admin.get(`${keys()}/${key.id}`)).data;
      assert.equal(got.deploymentCount, 1);
      assert.ok(Date.parse(got.updatedAt) > Date.parse(before));
      s.clock.advance(1000);
      const patched = (await s.admin.patch(`${keys()}/${key.id}`, { description: "x" })).data;
      assert.equal(patched.deploymentCount, 1);
      assert.equal(patched.updatedAt, new Date(s.clock.now).toISOString());
    });

    it("expiresAt takes a date alone, meaning 00:00 UTC that day, on create and on PATCH", async () => {
      const key = await createKey(s.admin, projectId, { expiresAt: "2099-01-02" });
      assert.equal(key.expiresAt, "2099-01-02T00:00:00.000Z");
      const patched = await s.admin.patch(`${keys()}/${key.id}`, { expiresAt: "2099-03-04" });
      assert.equal(patched.status, 200, JSON.stringify(patched.data));
      assert.equal(patched.data.expiresAt, "2099-03-04T00:00:00.000Z");
      const bad = await s.admin.post(keys(), { name: "bad", expiresAt: "2099-13-40" });
      assert.equal(bad.status, 400);
      assert.equal(bad.data.error.details[0].path, "expiresAt");
      assert.match(bad.data.error.details[0].message, /YYYY-MM-DD/);
      const past = await s.admin.post(keys(), { name: "past", expiresAt: "2001-01-01" });
      assert.equal(past.status, 400);
      assert.equal(past.data.error.details[0].path, "expiresAt");
    });

    it("PATCH changes a key's scope in place, audited with both ends, and the same secret then manages", async () => {
      const key = await createKey(s.admin, projectId, { scope: "inference" });
      assert.equal((await s.http.get(keys(), { headers: { authorization: `Bearer ${key.secret}` } })).status, 403);
      const r = await s.admin.patch(`${keys()}/${key.id}`, { scope: "project" });
      assert.equal(r.status, 200, JSON.stringify(r.data));
      assert.equal(r.data.id, key.id);
      assert.equal(r.data.scope, "project");
      assert.equal((await s.http.get(keys(), { headers: { authorization: `Bearer ${key.secret}` } })).status, 200);
      const audit = (await s.admin.get(`/v1/projects/${projectId}/audit`)).data.items;
      const event = audit.find((e: any) => e.action === "api_key.update" && e.targetId === key.id);
      assert.deepEqual(event.details.scope, { from: "inference", to: "project" });
      const bad = await s.admin.patch(`${keys()}/${key.id}`, { scope: "everything" });
      assert.equal(bad.status, 400);
      assert.equal(bad.data.error.details[0].path, "scope");
      assert.equal((await s.admin.get(`${keys()}/${key.id}`)).data.scope, "project", "a refused PATCH changes nothing");
    });

    describe("sessions", () => {
      it("exchanges the admin token for an HttpOnly, SameSite=Strict cookie whose id is stored only hashed", async () => {
        const r = await signIn(s.http, ADMIN_TOKEN);
        assert.equal(r.status, 201, JSON.stringify(r.data));
        const setCookie = String(r.headers["set-cookie"]![0]);
        assert.match(setCookie, /^kp_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
        assert.deepEqual(r.data.principal, { kind: "admin" });
        assert.ok(!JSON.stringify(r.data).includes(ADMIN_TOKEN));
        const cookie = cookieOf(r);
        const id = cookie.split("=")[1];
        assert.ok(!s.dump().includes(id), "the session id is not in the database");
        const list = await s.http.get("/v1/projects", { headers: { cookie } });
        assert.equal(list.status, 200);
        assert.ok(list.data.items.some((p: any) => p.id === projectId));
        // Writes need the session's CSRF token and our origin.
        const noCsrf = await s.http.post(
          `/v1/projects/${projectId}/secrets`,
          { name: "nope", useCase: "huggingface", value: { token: "t" } },
          { headers: { cookie } },
        );
        assert.equal(noCsrf.status, 403);
        const wrongCsrf = await s.http.post(
          keys(),
          { name: "n" },
          { headers: { cookie, "x-keyplane-csrf": "0".repeat(64) } },
        );
        assert.equal(wrongCsrf.status, 403);
        const foreign = await s.http.post(
          keys(),
          { name: "n" },
          { headers: { cookie, "x-keyplane-csrf": r.data.csrfToken, origin: "https://evil.example" } },
        );
        assert.equal(foreign.status, 403);
        const names = (await s.admin.get(keys())).data.items.map((k: any) => k.name);
        assert.ok(!names.includes("n"), "refused writes changed nothing");
        const ok = await s.http.post(
          keys(),
          { name: "via-console" },
          { headers: { cookie, "x-keyplane-csrf": r.data.csrfToken, origin: s.url } },
        );
        assert.equal(ok.status, 201, JSON.stringify(ok.data));
        const audit = (await s.admin.get(`/v1/projects/${projectId}/audit`)).data.items;
        assert.equal(audit.find((e: any) => e.targetId === ok.data.id).principal, "admin");
        // The gateway never takes a cookie.
        assert.equal(
          (
            await s.http.post(
              "/v1/chat/completions",
              { model: "dep-a", messages: [{ role: "user", content: "x" }] },
              { headers: { cookie } },
            )
          ).status,
          401,
        );
      });

      it("refuses sign-in without the custom header, from a foreign origin, with a bad token or an inference key", async () => {
        assert.equal((await signIn(s.http, ADMIN_TOKEN, {})).status, 403);
        assert.equal(
          (await signIn(s.http, ADMIN_TOKEN, { "x-keyplane-csrf": "sign-in", origin: "https://evil.example" })).status,
          403,
        );
        const wrong = await signIn(s.http, "not-the-token");
        assert.equal(wrong.status, 401);
        assert.equal(wrong.headers["set-cookie"], undefined);
        const inference = await createKey(s.admin, projectId);
        assert.equal((await signIn(s.http, inference.secret)).status, 403);
        const empty = await signIn(s.http, "");
        assert.equal(empty.status, 400);
        assert.equal(empty.data.error.details[0].path, "token");
      });

      it("expires, and sign-out ends the session at once", async () => {
        const r = await signIn(s.http, ADMIN_TOKEN);
        const cookie = cookieOf(r);
        assert.equal((await s.http.get("/console/api/session", { headers: { cookie } })).status, 200);
        s.clock.advance(8 * 3600 * 1000 + 1);
        const late = await s.http.get("/v1/projects", { headers: { cookie } });
        assert.equal(late.status, 401);
        assert.equal(late.data.error.code, "session_expired");
        const again = await signIn(s.http, ADMIN_TOKEN);
        const cookie2 = cookieOf(again);
        const out = await s.http.delete("/console/api/session", {
          headers: { cookie: cookie2, "x-keyplane-csrf": again.data.csrfToken },
        });
        assert.equal(out.status, 204);
        assert.match(
          String(out.headers["set-cookie"]![0]),
          /^kp_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/,
        );
        assert.equal(
          (await s.http.get("/v1/projects", { headers: { cookie: cookie2 } })).data.error.code,
          "session_expired",
        );
      });

      it("a project-key session sees its project only, and ends when the key is revoked", async () => {
        const pkey = await createKey(s.admin, projectId, { scope: "project" });
        const r = await signIn(s.http, pkey.secret);
        assert.equal(r.status, 201);
        assert.deepEqual(r.data.principal, { kind: "key", keyId: pkey.id, projectId });
        const cookie = cookieOf(r);
        assert.equal((await s.http.get(keys(), { headers: { cookie } })).status, 200);
        assert.equal(
          (await s.http.get(`/v1/projects/${otherProjectId}/api-keys`, { headers: { cookie } })).status,
          403,
        );
        assert.equal((await s.http.get("/v1/projects", { headers: { cookie } })).status, 403);
        await s.admin.delete(`${keys()}/${pkey.id}`);
        const after = await s.http.get(keys(), { headers: { cookie } });
        assert.equal(after.status, 401);
        assert.equal(after.data.error.code, "session_expired");
      });

      it("serves the console with CSP, frame-ancestors 'none' and no inline script", async () => {
        const page = await s.http.get("/console");
        assert.equal(page.status, 200, "the console is built by npm run build");
        assert.match(String(page.headers["content-type"]), /text\/html/);
        assert.match(page.headers["content-security-policy"], /script-src 'self';/);
        assert.match(page.headers["content-security-policy"], /frame-ancestors 'none'/);
        assert.equal(page.headers["x-frame-options"], "DENY");
        assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/.test(page.data), "no inline script");
        const script = /<script[^>]*src="([^"]+)"/.exec(page.data)![1];
        const js = await s.http.get(script);
        assert.equal(js.status, 200);
        assert.match(String(js.headers["content-type"]), /javascript/);
      });
    });
  });
}
