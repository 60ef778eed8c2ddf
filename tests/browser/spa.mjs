// Drives Chromium through a browser SPA's life against a running API; prints one JSON object.
//
//   node spa.mjs '{"api": "https://localhost:PORT", "spa": "https://localhost:18544", ...}'
//
// The SPA pages are served by Playwright's request routing on origins that need no server (a
// fake origin is as real to the browser as any other); every API call goes to the real server.
// The page runs docs/_static/apisec-client.js, the client the docs publish.
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const config = JSON.parse(process.argv[2]);
const client = readFileSync(config.client, "utf8");
const ROUNDS = config.rounds ?? 5;

const spaPage = (api) => `<!doctype html><meta charset="utf-8"><title>SPA</title>
<script>${client}</script>
<script>
  window.api = new ApisecClient({ baseUrl: ${JSON.stringify(api)} });
  window.restored = api.restore();
</script>`;

const formPage = (action) => `<!doctype html><meta charset="utf-8"><title>attacker</title>
<form method="POST" action="${action}" enctype="text/plain">
<input name='{"a":"' value='"}'></form>`;

async function serveOn(context, origin, html) {
  await context.route(`${origin}/**`, (route) =>
    route.fulfill({ status: 200, contentType: "text/html", body: html }),
  );
}

async function refreshCookie(context) {
  const cookies = await context.cookies(); // all of them: the cookie's path is /api/auth/
  return cookies.find((cookie) => cookie.name === config.cookie) ?? null;
}

async function openSpa(context, origin = config.spa) {
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  return page;
}

async function restoreAndMe(page) {
  return page.evaluate(async () => {
    const restored = await window.restored;
    const response = await api.fetch("/api/me/");
    return { restored, me: response.status };
  });
}

async function fetchFrom(page, path, init) {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const response = await fetch(url, init);
        return { status: response.status, type: response.type };
      } catch (error) {
        return { error: String(error) };
      }
    },
    { url: config.api + path, init },
  );
}

// launch() starts Chromium on a fresh temporary profile of its own (--user-data-dir).
const browser = await chromium.launch({
  executablePath: config.chromium,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    // The test server's certificate is self-signed (ignoreHTTPSErrors alone misses fetch()).
    "--ignore-certificate-errors",
    // The SPA pages come from request routing, which Chromium counts as the public address
    // space; the API is on loopback. A deployed SPA and API share an address space.
    "--disable-features=LocalNetworkAccessChecks",
  ],
});
const result = { consoleErrors: [] };
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  await serveOn(context, config.spa, spaPage(config.api));
  await serveOn(context, config.sibling, spaPage(config.api));
  await serveOn(context, config.crossSite, formPage(`${config.api}/api/auth/logout/`));

  // Login from the listed origin, with credentials: "include".
  const page = await openSpa(context);
  result.login = await page.evaluate(
    async ({ username, password }) => {
      const restoredBefore = await window.restored;
      await api.login(username, password);
      const me = await api.fetch("/api/me/");
      return { restoredBefore, me: me.status, documentCookie: document.cookie };
    },
    { username: config.username, password: config.password },
  );
  result.cookie = await refreshCookie(context);

  // A reload loses the in-memory access token; the cookie restores the session.
  await page.reload();
  result.reload = await restoreAndMe(page);

  // Rotation: every refresh replaces the cookie.
  const before = await refreshCookie(context);
  result.rotation = await page.evaluate(async () => {
    await api.refresh();
    return (await api.fetch("/api/me/")).status;
  });
  const after = await refreshCookie(context);
  result.rotated = before.value !== after.value;
  const stolen = before.value;

  // A same-site origin that is not listed: CORS refuses it, and the server refuses to spend the
  // cookie for it even when the browser sends it (a no-cors POST).
  const sibling = await openSpa(context, config.sibling);
  result.foreign = {
    cors: await fetchFrom(sibling, "/api/auth/refresh/", { method: "POST", credentials: "include" }),
    noCors: await fetchFrom(sibling, "/api/auth/refresh/", {
      method: "POST",
      credentials: "include",
      mode: "no-cors",
    }),
  };
  result.foreign.cookieUnchanged = (await refreshCookie(context)).value === after.value;
  await sibling.close();

  // A cross-site page posts a form to the logout view: SameSite=Strict keeps the cookie home
  // and the origin check refuses the request.
  const attacker = await context.newPage();
  await attacker.goto(`${config.crossSite}/`);
  const [navigation] = await Promise.all([
    attacker.waitForNavigation(),
    attacker.evaluate(() => document.forms[0].submit()),
  ]);
  result.crossSiteForm = {
    status: navigation ? navigation.status() : null,
    cookieUnchanged: (await refreshCookie(context)).value === after.value,
    spaMe: await page.evaluate(async () => (await api.fetch("/api/me/")).status),
  };
  await attacker.close();

  // Two tabs reloaded at the same moment, both refreshing with the same cookie; no
  // navigator.locks. Neither may end logged out.
  const tabs = [page, await openSpa(context)];
  await restoreAndMe(tabs[1]);
  result.race = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    await Promise.all(tabs.map((tab) => tab.reload()));
    const outcomes = await Promise.all(
      tabs.map((tab) =>
        tab.evaluate(async () => {
          const restored = await window.restored;
          const me = await api.fetch("/api/me/");
          return { restored, me: me.status, ...api.stats };
        }),
      ),
    );
    result.race.push(outcomes);
  }

  // Replay: the cookie stolen before the rotation, presented from another browser, revokes the
  // session; the SPA's next refresh is refused and the dead cookie is expired.
  const thief = await browser.newContext({ ignoreHTTPSErrors: true });
  await thief.addCookies([{ ...before, value: stolen }]);
  await serveOn(thief, config.spa, spaPage(config.api));
  const thiefPage = await openSpa(thief);
  result.replay = { thief: await restoreAndMe(thiefPage) };
  await thief.close();
  result.replay.victim = await page.evaluate(async () => {
    try {
      await api.refresh();
      return { refreshed: true };
    } catch (error) {
      return { refreshed: false, status: error.status, loggedIn: api.loggedIn };
    }
  });
  result.replay.cookieAfter = await refreshCookie(context);

  // Logout: a new session, logged out; the cookie is gone and a reload restores nothing.
  await page.reload();
  await page.evaluate(
    async ({ username, password }) => {
      await window.restored;
      await api.login(username, password);
    },
    { username: config.username, password: config.password },
  );
  result.logout = { cookieBefore: (await refreshCookie(context)) !== null };
  await page.evaluate(async () => api.logout());
  result.logout.cookieAfter = await refreshCookie(context);
  await page.reload();
  result.logout.afterReload = await restoreAndMe(page);
  await context.close();
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result));
