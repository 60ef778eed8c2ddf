// Drives Chromium through the admin's security page after a scripted attack; prints one JSON object.
//
//   node security_page.mjs '{"base": "https://localhost:PORT", "username": ..., ...}'
//
// An operator logs in to the Django admin, opens the security page, reads what the charts and
// tables show, saves a screenshot, and unlocks the victim's account with the page's button.
// The admin's static files are served by request routing from Django's own static directories,
// as the reverse proxy of a deployment serves /static/ (the test server serves the app only).
import { readFileSync, existsSync } from "node:fs";
import { extname, join } from "node:path";
import { chromium } from "playwright-core";

const config = JSON.parse(process.argv[2]);
const TYPES = { ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml" };

function staticFile(pathname) {
  const relative = decodeURIComponent(pathname.replace(/^\/static\//, ""));
  if (relative.includes("..")) return null;
  for (const root of config.staticRoots) {
    const file = join(root, relative);
    if (existsSync(file)) return file;
  }
  return null;
}

const browser = await chromium.launch({
  executablePath: config.chromium,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--ignore-certificate-errors",
  ],
});
const result = { consoleErrors: [], cspViolations: [] };
try {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1200, height: 900 },
  });
  await context.route(`${config.base}/static/**`, (route) => {
    const file = staticFile(new URL(route.request().url()).pathname);
    if (file === null) return route.fulfill({ status: 404, body: "" });
    return route.fulfill({
      status: 200,
      contentType: TYPES[extname(file)] ?? "application/octet-stream",
      body: readFileSync(file),
    });
  });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") result.consoleErrors.push(message.text());
  });
  await page.exposeFunction("reportViolation", (text) => result.cspViolations.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) =>
      window.reportViolation(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });

  // The operator logs in through the admin's own login form.
  await page.goto(`${config.base}/admin/login/?next=${encodeURIComponent(config.pagePath)}`);
  await page.fill("#id_username", config.username);
  await page.fill("#id_password", config.password);
  await Promise.all([page.waitForNavigation(), page.click("input[type=submit]")]);
  result.landedOn = new URL(page.url()).pathname;

  const readPage = () =>
    page.evaluate(() => {
      const charts = {};
      for (const svg of document.querySelectorAll("svg.apisec-chart")) {
        const box = svg.getBoundingClientRect();
        charts[svg.dataset.kind] = {
          total: Number(svg.dataset.total),
          peak: Number(svg.dataset.peak),
          label: svg.getAttribute("aria-label"),
          width: Math.round(box.width),
          height: Math.round(box.height),
          points: svg.querySelector("polygon").getAttribute("points").split(" ").length,
        };
      }
      return {
        title: document.title,
        charts,
        locked: [...document.querySelectorAll("tr.locked-account")].map((r) => r.dataset.username),
        networks: [...document.querySelectorAll("tr.network")].map((r) => [
          r.cells[0].textContent,
          Number(r.cells[1].textContent),
        ]),
        tightened: document.querySelector("#tightened")?.textContent ?? null,
        messages: [...document.querySelectorAll("ul.messagelist li")].map((li) => li.textContent),
        externalResources: performance
          .getEntriesByType("resource")
          .map((entry) => entry.name)
          .filter((url) => !url.startsWith(location.origin)),
      };
    });

  result.before = await readPage();
  await page.screenshot({ path: config.screenshot, fullPage: true });

  // Unlock the victim with the page's own button (a POST carrying the CSRF token).
  const row = page.locator(`tr.locked-account[data-username="${config.victim}"]`);
  await Promise.all([page.waitForNavigation(), row.locator("input[type=submit]").click()]);
  result.after = await readPage();
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
