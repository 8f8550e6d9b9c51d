import { strict as assert } from "node:assert";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { assertRefused, gateway, seedProject } from "../helpers/http";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "../helpers/server";

// The console end to end: Debian's Chromium driving the real UI against a real server, with the
// gateway called directly to prove each change takes effect at once.
const SCREENSHOTS = join(__dirname, "..", "..", "..", "docs", "screenshots");
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SECRET_VALUES = [
  "hf_console_test_token_value_42",
  "s3-console-secret-access-key-value",
  "s3-console-second-version-value",
];

describe("web console in Chromium", function () {
  this.timeout(120_000);
  let s: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let projectId: string;
  let otherKeyName: string;
  /** Every response body the page received, in order, with whether the secret dialog was closed by then. */
  const bodies: { url: string; body: string; afterClose: boolean }[] = [];
  let dialogClosed = false;
  let secret = "";
  let keyId = "";

  const chat = (key: string, model: string) => gateway(s.url, key, { model });

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    s = await startTestServer("sqlite");
    const deployments = Object.fromEntries(
      ["dep-a", "dep-b", "dep-c"].map((name) => [name, { model: `llama-${name}` }]),
    );
    projectId = (await seedProject(s.admin, { name: "acme", description: "the console test", deployments })).projectId;
    otherKeyName = "other-project-key";
    await seedProject(s.admin, { name: "other", keys: { [otherKeyName]: {} } });
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on("response", async (r) => {
      const afterClose = dialogClosed;
      const body = await r.text().catch(() => "");
      bodies.push({ url: r.url(), body, afterClose });
    });
  });
  afterEach(async function () {
    // A failure leaves a picture of the page and the requests it made, for whoever reads the log.
    if (this.currentTest?.state !== "failed" || !page) return;
    const file = join(tmpdir(), `keyplane-console-failure-${Date.now()}.png`);
    await page.screenshot({ path: file }).catch(() => undefined);
    console.log(
      `      page at the failure: ${file}; last responses: ${bodies
        .slice(-8)
        .map((b) => b.url.replace(s.url, ""))
        .join(" ")}`,
    );
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  const signIn = async (p: Page, token: string) => {
    await p.getByLabel("Admin token or project key").fill(token);
    await p.getByRole("button", { name: "Sign in" }).click();
  };

  it("signs in with the admin token into an HttpOnly, SameSite=Strict session; the token stays out of the page", async () => {
    await page.goto(`${s.url}/console`);
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    await page.getByLabel("Project").selectOption({ label: "acme" });
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "kp_session")!;
    assert.ok(session, "a session cookie");
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Strict");
    assert.equal(session.path, "/");
    // The page names its icon, so the browser never asks the server for a /favicon.ico it lacks.
    assert.equal(await page.locator('link[rel="icon"][href^="data:image/svg+xml"]').count(), 1);
    assert.ok(!cookies.some((c) => c.value.includes(ADMIN_TOKEN)));
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
    assert.ok(!(await page.content()).includes(ADMIN_TOKEN));
    assert.equal(await page.evaluate("document.cookie"), "", "the page's script cannot read the session");
  });

  it("creates a key with two linked deployments; its secret is shown once and the gateway takes it", async () => {
    // Keyboard: the create button opens the dialog with Enter.
    await page.getByRole("button", { name: "Create API key" }).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Create API key" });
    await dialog.waitFor();
    await dialog.getByLabel("Name").fill("ci-key");
    await dialog.getByLabel("Description").fill("made by the console test");
    await dialog.getByLabel("dep-a").check();
    await dialog.getByLabel("dep-b").check();
    await dialog.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByRole("dialog", { name: "Copy your new API key" });
    await shown.waitFor();
    secret = await shown.getByLabel("API key “ci-key”").inputValue();
    assert.match(secret, /^kp_[0-9A-Za-z]{38}$/);
    assert.match(await shown.textContent().then(String), /only time the key is shown/);
    await shown.getByRole("button", { name: "Copy" }).waitFor();
    // Redact the secret in the picture only; the test still holds it to call the gateway.
    await page.evaluate(
      'document.getElementById("new-secret").value = "kp_•••••••••••••••••••••••••••••••• (redacted in this screenshot)"',
    );
    await page.screenshot({ path: join(SCREENSHOTS, "create-dialog.png") });

    const keys = (await s.admin.get(`/v1/projects/${projectId}/api-keys`)).data.items;
    keyId = keys.find((k: any) => k.name === "ci-key").id;
    assert.equal(keys.find((k: any) => k.id === keyId).deploymentCount, 2);
    assert.equal((await chat(secret, "dep-a")).status, 200);
    assert.equal((await chat(secret, "dep-b")).status, 200);
    assertRefused(await chat(secret, "dep-c"), 403, "deployment_not_bound");

    dialogClosed = true;
    await shown.getByRole("button", { name: "I have copied the key" }).click();
    await shown.waitFor({ state: "detached" });
  });

  it("after the dialog closes, no page and no API response holds the secret; only the truncated form shows", async () => {
    const row = page.getByRole("row", { name: /ci-key/ });
    await row.waitFor();
    await row.getByText(`kp_••••••••${secret.slice(-4)}`).waitFor();
    // Expand the linked deployments, visit other pages and come back: every answer since the close.
    await row.getByRole("button", { name: /linked deployments of ci-key/ }).click();
    await page
      .getByRole("listitem")
      .filter({ hasText: /^dep-b$/ })
      .waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "keys.png") });
    await page.getByRole("link", { name: "Audit" }).click();
    await page.getByRole("cell", { name: "api_key.create" }).first().waitFor();
    // Filterable by what: only the two bindings remain.
    await page.getByLabel("What").selectOption("binding.create");
    await page.getByRole("cell", { name: "api_key.create" }).first().waitFor({ state: "detached" });
    assert.equal(await page.getByRole("cell", { name: "binding.create" }).count(), 2);
    assert.deepEqual([...new Set(await page.locator("tbody td:nth-child(2)").allTextContents())], ["admin"]);
    await page.getByRole("link", { name: "API keys" }).click();
    // The audit rows name the key too: wait for the keys page itself before looking for its row.
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    await page.getByRole("row", { name: /ci-key/ }).waitFor();
    assert.ok(!(await page.content()).includes(secret));
    const holding = bodies.filter((b) => b.body.includes(secret));
    assert.equal(holding.length, 1, "only the create response carried the secret");
    assert.ok(!holding[0].afterClose);
    assert.ok(
      bodies.filter((b) => b.afterClose && b.url.includes("/api-keys")).length >= 2,
      "the list was fetched again after the close",
    );
  });

  it("unlinking a deployment in the edit dialog takes effect at the gateway at once", async () => {
    await page.getByRole("button", { name: "Edit ci-key" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit API key ci-key" });
    await dialog.getByText("takes effect immediately").waitFor();
    await dialog.getByLabel("dep-b").uncheck();
    await dialog.getByText("Unlinked dep-b").waitFor();
    assertRefused(await chat(secret, "dep-b"), 403, "deployment_not_bound");
    assert.equal((await chat(secret, "dep-a")).status, 200);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await page
      .getByRole("row", { name: /ci-key/ })
      .getByRole("button", { name: /^1 / })
      .waitFor();
  });

  it("disabling the key answers 401 disabled_key (needs `enabled` on keys: skipped where the API has none)", async function () {
    const key = (await s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}`)).data;
    if (!("enabled" in key)) {
      console.log(
        "      SKIPPED: this server's keys have no `enabled` field (the limits feature); the step runs once it does",
      );
      this.skip();
    }
    await page.getByRole("button", { name: "Edit ci-key" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit API key ci-key" });
    await dialog.getByLabel("Enabled").uncheck();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await page
      .getByRole("row", { name: /ci-key/ })
      .getByText("disabled")
      .waitFor();
    assertRefused(await chat(secret, "dep-a"), 401, "disabled_key");
  });

  it("shows the API's message beside the field and changes nothing on bad input", async () => {
    await page.getByRole("button", { name: "Edit ci-key" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit API key ci-key" });
    await dialog.getByLabel("Name").fill("bad/name!");
    await dialog.getByRole("button", { name: "Save" }).click();
    const name = dialog.getByLabel("Name");
    await dialog.locator("#edit-name-error").waitFor();
    assert.match(String(await dialog.locator("#edit-name-error").textContent()), /must be 1-128 characters/);
    assert.equal(await name.getAttribute("aria-invalid"), "true");
    assert.equal((await s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}`)).data.name, "ci-key");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
  });

  it("deleting the key says access ends at once, and the gateway answers 401 revoked_key", async () => {
    await page.getByRole("button", { name: "Delete ci-key" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete API key ci-key?" });
    assert.match(String(await dialog.textContent()), /Access ends at once/);
    await dialog.getByRole("button", { name: "Delete key" }).click();
    await page.getByRole("row", { name: /ci-key/ }).waitFor({ state: "detached" });
    assertRefused(await chat(secret, "dep-a"), 401, "revoked_key");
  });

  it("an expired session returns to sign-in without losing what was typed", async () => {
    await page.getByRole("button", { name: "Create API key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create API key" });
    await dialog.getByLabel("Name").fill("typed-before-expiry");
    await dialog.getByLabel("dep-c").check();
    s.clock.advance(9 * 3600 * 1000);
    await dialog.getByRole("button", { name: "Create key" }).click();
    const again = page.getByRole("dialog", { name: "Sign in again" });
    await again.waitFor();
    await signIn(page, ADMIN_TOKEN);
    await again.waitFor({ state: "detached" });
    assert.equal(await dialog.getByLabel("Name").inputValue(), "typed-before-expiry");
    assert.equal(await dialog.getByLabel("dep-c").isChecked(), true);
    await dialog.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByRole("dialog", { name: "Copy your new API key" });
    await shown.waitFor();
    await shown.getByRole("button", { name: "I have copied the key" }).click();
    await page.getByRole("row", { name: /typed-before-expiry/ }).waitFor();
    const names = (await s.admin.get(`/v1/projects/${projectId}/api-keys`)).data.items.map((k: any) => k.name);
    assert.equal(names.filter((n: string) => n === "typed-before-expiry").length, 1);
  });

  it("creates secrets of two use cases, searches and filters them, and never shows a value", async () => {
    await page.getByRole("link", { name: "Secrets" }).click();
    await page.getByRole("heading", { name: "Secrets" }).waitFor();
    const create = async (fill: (d: ReturnType<Page["getByRole"]>) => Promise<void>) => {
      await page.getByRole("button", { name: "Create secret" }).first().click();
      const d = page.getByRole("dialog", { name: "Create secret" });
      await fill(d);
      await d.getByRole("button", { name: "Create secret" }).click();
      return d;
    };
    // A bad name first: the API's message beside the field, nothing created.
    let d = await create(async (dlg) => {
      await dlg.getByLabel("Name").fill("Bad Name");
      await dlg.getByLabel("Hugging Face token").fill(SECRET_VALUES[0]);
      await dlg.getByLabel("Allowed upstreams").fill("https://api-inference.huggingface.co/models");
    });
    await d.locator("#secret-name-error").waitFor();
    assert.match(String(await d.locator("#secret-name-error").textContent()), /must be 2-253 characters/);
    assert.match(String(await d.locator("#secret-upstreams-error").textContent()), /line 1: must be an origin/);
    assert.equal((await s.admin.get(`/v1/projects/${projectId}/secrets`)).data.items.length, 0);
    await d.getByLabel("Name").fill("hf-token");
    await d.getByLabel("Allowed upstreams").fill("https://api-inference.huggingface.co");
    await d.getByRole("button", { name: "Create secret" }).click();
    await d.waitFor({ state: "detached" });
    const hf = (await s.admin.get(`/v1/projects/${projectId}/secrets`)).data.items.find(
      (x: any) => x.name === "hf-token",
    );
    assert.deepEqual(hf.allowedUpstreams, ["https://api-inference.huggingface.co"]);
    await page.getByText("May be sent to https://api-inference.huggingface.co").waitFor();
    d = await create(async (dlg) => {
      await dlg.getByLabel("Name").fill("s3-creds");
      await dlg.getByLabel("Use case").selectOption("s3");
      await dlg.getByLabel("Access key ID").fill("AKIACONSOLETEST");
      await dlg.getByLabel("Secret access key").fill(SECRET_VALUES[1]);
      await dlg.getByLabel("Region (optional)").fill("eu-west-1");
    });
    await d.waitFor({ state: "detached" });
    const table = page.getByRole("table");
    await table.getByRole("row", { name: /s3-creds/ }).waitFor();
    await table.getByRole("row", { name: /hf-token/ }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, "secrets.png") });

    await page.getByLabel("Search by name").fill("hf");
    await table.getByRole("row", { name: /s3-creds/ }).waitFor({ state: "detached" });
    await table.getByRole("row", { name: /hf-token/ }).waitFor();
    await page.getByLabel("Search by name").fill("");
    await page.getByLabel("Use case", { exact: true }).selectOption("s3");
    await table.getByRole("row", { name: /hf-token/ }).waitFor({ state: "detached" });
    await table.getByRole("row", { name: /s3-creds/ }).waitFor();
    // A new version of the S3 secret: the form asks for its fields again and shows no old value.
    await page.getByRole("button", { name: "New version of s3-creds" }).click();
    const nv = page.getByRole("dialog", { name: "New version of s3-creds" });
    assert.equal(await nv.getByLabel("Secret access key").inputValue(), "");
    await nv.getByLabel("Access key ID").fill("AKIACONSOLETEST2");
    await nv.getByLabel("Secret access key").fill(SECRET_VALUES[2]);
    await nv.getByRole("button", { name: "Store new version" }).click();
    await nv.waitFor({ state: "detached" });
    await table
      .getByRole("row", { name: /s3-creds/ })
      .getByRole("cell", { name: "2", exact: true })
      .waitFor();
    const html = await page.content();
    for (const v of SECRET_VALUES) {
      assert.ok(!html.includes(v));
      assert.ok(!bodies.some((b) => b.body.includes(v)), "no response carries a secret value");
    }
  });

  it("a project key sees its own project only", async () => {
    const pkey = (
      await s.admin.post(`/v1/projects/${projectId}/api-keys`, { name: "console-project-key", scope: "project" })
    ).data;
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const p = await ctx.newPage();
      await p.goto(`${s.url}/console`);
      await signIn(p, pkey.secret);
      await p.getByRole("row", { name: /console-project-key/ }).waitFor();
      const options = await p.getByLabel("Project").locator("option").allTextContents();
      assert.deepEqual(options, ["acme"]);
      assert.ok(!(await p.content()).includes(otherKeyName));
      const statuses = await p.evaluate(async () => {
        const projects = await fetch("/v1/projects");
        const list = (await projects.json()) as { error?: unknown };
        return { projects: projects.status, error: Boolean(list.error) };
      });
      assert.deepEqual(statuses, { projects: 403, error: true });
      const otherId = (await s.admin.get("/v1/projects")).data.items.find((x: any) => x.name === "other").id;
      assert.equal(await p.evaluate(async (id) => (await fetch(`/v1/projects/${id}/api-keys`)).status, otherId), 403);
    } finally {
      await ctx.close();
    }
  });

  it("shows a Pulumi-managed key's stack and resource, and warns of drift on edit (needs `managedBy`: skipped where the API has none)", async function () {
    const urn = "urn:pulumi:dev::quickstart::pulumi-nodejs:dynamic:Resource::inference-key";
    const r = await s.admin.post(`/v1/projects/${projectId}/api-keys`, {
      name: "pulumi-key",
      managedBy: `pulumi:dev:${urn}`,
    });
    if (r.status !== 201 || !("managedBy" in r.data)) {
      console.log(
        "      SKIPPED: this server's keys take no `managedBy` (the Pulumi operations feature); the step runs once they do",
      );
      this.skip();
    }
    await page.getByRole("link", { name: "Secrets" }).click();
    await page.getByRole("link", { name: "API keys" }).click();
    const row = page.getByRole("row", { name: /pulumi-key/ });
    await row.getByText("Pulumi: stack").waitFor();
    assert.match(String(await row.textContent()), /stack dev, resource inference-key/);
    await page.getByRole("button", { name: "Edit pulumi-key" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit API key pulumi-key" });
    assert.match(String(await dialog.textContent()), /show as drift on the stack's next refresh/);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
  });

  it("a key reported leaked shows as leaked, with a banner naming where it was found and its access log since the leak one click away", async () => {
    const key = (
      await s.admin.post(`/v1/projects/${projectId}/api-keys`, { name: "exposed-key", deploymentAccess: "all" })
    ).data;
    const sneaky = (
      await s.admin.post(`/v1/projects/${projectId}/api-keys`, { name: "sneaky-url-key", deploymentAccess: "all" })
    ).data;
    assert.equal((await chat(key.secret, "dep-a")).status, 200, "a call before the leak");
    s.clock.advance(1_000);
    const url = "https://github.com/acme/app/blob/main/.env";
    const report = await s.admin.post("/v1/leaks", [
      { token: key.secret, type: "keyplane_api_key", url, source: "content" },
      { token: sneaky.secret, type: "keyplane_api_key", url: "javascript:alert(1)", source: "commit" },
    ]);
    assert.deepEqual(
      report.data.map((a: any) => a.label),
      ["true_positive", "true_positive"],
    );
    const refused = await chat(key.secret, "dep-b");
    assert.equal(refused.data.error.code, "leaked_key", "someone tries the leaked key");

    await page.getByRole("link", { name: "Secrets" }).click();
    await page.getByRole("link", { name: "API keys" }).click();
    const banner = page.locator(`.leak[data-key-id="${key.id}"]`);
    await banner.waitFor();
    assert.equal(await banner.getAttribute("role"), "alert");
    assert.match(
      String(await banner.textContent()),
      /Key exposed-key \(kp_••••••••.{4}\) was reported leaked.*found at https:\/\/github\.com\/acme\/app\/blob\/main\/\.env \(content\)/,
    );
    assert.equal(await banner.getByRole("link", { name: url }).getAttribute("href"), url);
    // A reported url that is not a web page is shown as text, never as a link.
    const other = page.locator(`.leak[data-key-id="${sneaky.id}"]`);
    assert.match(String(await other.textContent()), /found at javascript:alert\(1\)/);
    assert.equal(await other.getByRole("link").count(), 0);
    assert.equal(
      await page
        .getByRole("row", { name: /exposed-key/ })
        .locator(".status")
        .textContent(),
      "leaked",
    );

    await banner.getByRole("button", { name: "Review exposed-key's access log since the leak" }).click();
    const log = page.getByRole("table", { name: "Calls with exposed-key since the leak" });
    await log.waitFor();
    const rows = await log.locator("tbody tr").allTextContents();
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.match(rows[0], /dep-b.*leaked_key \(401\)/);
    await page.screenshot({ path: join(SCREENSHOTS, "leaked-key.png") });
    assert.ok(!(await page.content()).includes(key.secret));
    await s.admin.delete(`/v1/projects/${projectId}/api-keys/${key.id}`);
    await s.admin.delete(`/v1/projects/${projectId}/api-keys/${sneaky.id}`);
  });

  it("stays readable on a narrow window", async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByRole("row", { name: /typed-before-expiry/ }).waitFor();
    const overflow = Number(await page.evaluate("document.documentElement.scrollWidth - window.innerWidth"));
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window (tables scroll in their own box)`);
    // The row's actions stay in view at the table's right edge, without scrolling it sideways.
    const edit = await page.getByRole("button", { name: "Edit typed-before-expiry" }).boundingBox();
    assert.ok(edit && edit.x >= 0 && edit.x + edit.width <= 390, `the Edit button is at ${JSON.stringify(edit)}`);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("sign-out ends the session", async () => {
    const cookie = (await context.cookies()).find((c) => c.name === "kp_session")!;
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Admin token or project key").waitFor();
    assert.equal(await page.evaluate(async () => (await fetch("/v1/projects")).status), 401);
    const replay = await s.http.get("/v1/projects", { headers: { cookie: `kp_session=${cookie.value}` } });
    assert.equal(replay.status, 401);
    assert.equal(replay.data.error.code, "session_expired");
  });
});
