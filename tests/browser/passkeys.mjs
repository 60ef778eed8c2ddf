// Passkeys in Chromium with a CDP virtual authenticator against a running API; prints one JSON
// object with what the browser and the API answered.
//
//   node passkeys.mjs '{"api": "https://localhost:PORT", "spa": "https://app.example.test:18547", ...}'
//
// The page is served by Playwright's request routing on the relying party's front-end origin;
// every API call goes to the real server. The virtual authenticator (WebAuthn.enable +
// WebAuthn.addVirtualAuthenticator over a CDP session) is a CTAP2 platform authenticator with
// resident keys and user verification, so the page's navigator.credentials calls are real
// WebAuthn ceremonies: the browser writes clientDataJSON (origin, challenge) and the
// authenticator signs for the relying-party id the page asks for.
import { chromium } from "playwright-core";

const config = JSON.parse(process.argv[2]);

const page_html = (api) => `<!doctype html><meta charset="utf-8"><title>passkeys</title>
<script>
  const API = ${JSON.stringify(api)};
  async function call(path, body, access) {
    const headers = { "Content-Type": "application/json" };
    if (access) headers.Authorization = "Bearer " + access;
    const response = await fetch(API + path, {
      method: "POST", headers, credentials: "include", body: JSON.stringify(body ?? {}),
    });
    let json = null;
    try { json = await response.json(); } catch (error) { json = null; }
    return { status: response.status, body: json };
  }
  async function create(publicKey) {
    const options = PublicKeyCredential.parseCreationOptionsFromJSON(publicKey);
    return (await navigator.credentials.create({ publicKey: options })).toJSON();
  }
  async function get(publicKey, overrides) {
    const options = PublicKeyCredential.parseRequestOptionsFromJSON({ ...publicKey, ...overrides });
    return (await navigator.credentials.get({ publicKey: options })).toJSON();
  }
  // One passwordless login: options, the ceremony (rpId overridable), the API's answer.
  async function passwordless(overrides) {
    const options = await call("/api/auth/webauthn/login/options/");
    try {
      const credential = await get(options.body.publicKey, overrides ?? {});
      const answer = await call("/api/auth/webauthn/login/", { credential });
      return { status: answer.status, code: answer.body?.code ?? null, access: !!answer.body?.access };
    } catch (error) {
      return { status: null, error: String(error) };
    }
  }
</script>`;

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
    "--ignore-certificate-errors", // the test server's certificate is self-signed
    "--disable-features=LocalNetworkAccessChecks", // a routed page calling a loopback API
  ],
});
const result = {};
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  await context.route(`${config.spa}/**`, (route) =>
    route.fulfill({ status: 200, contentType: "text/html", body: page_html(config.api) }),
  );
  const page = await context.newPage();
  await page.goto(`${config.spa}/`);

  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });

  // Register a passkey: password login (fresh auth_time), options, create(), verify.
  result.register = await page.evaluate(
    async ({ username, password }) => {
      const login = await call("/api/auth/login/", { username, password });
      const access = login.body.access;
      const options = await call("/api/auth/webauthn/register/options/", {}, access);
      const credential = await create(options.body.publicKey);
      const stored = await call("/api/auth/webauthn/register/", { credential, name: "Chromium" }, access);
      const listed = await fetch(API + "/api/auth/webauthn/credentials/", {
        headers: { Authorization: "Bearer " + access },
      });
      return {
        login: login.status,
        options: options.status,
        rpId: options.body.publicKey.rp.id,
        status: stored.status,
        recoveryCodes: (stored.body.recovery_codes ?? []).length,
        credentialId: credential.id,
        listed: (await listed.json()).map((item) => item.name),
      };
    },
    { username: config.username, password: config.password },
  );
  const [registered] = (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
  result.authenticator = {
    rpId: registered.rpId,
    resident: registered.isResidentCredential,
    signCount: registered.signCount,
  };

  // The passkey as the second factor: the password step answers an mfa_token only.
  result.secondFactor = await page.evaluate(
    async ({ username, password }) => {
      const login = await call("/api/auth/login/", { username, password });
      const token = login.body.mfa_token;
      const options = await call("/api/auth/webauthn/mfa/options/", { mfa_token: token });
      const credential = await get(options.body.publicKey, {});
      const verified = await call("/api/auth/mfa/verify/", { mfa_token: token, credential });
      const me = await fetch(API + "/api/me/", {
        headers: { Authorization: "Bearer " + verified.body.access },
      });
      return {
        passwordStep: { status: login.status, access: "access" in login.body, methods: login.body.methods },
        verify: verified.status,
        me: (await me.json()).username,
      };
    },
    { username: config.username, password: config.password },
  );

  // Passwordless: no username, no password; the passkey names the user.
  result.passwordless = await page.evaluate(() => passwordless());

  // The credential as the authenticator holds it (key pair, counter), for the attacks below.
  const [current] = (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
  result.countSeen = current.signCount;
  async function holdOnly(credential) {
    await cdp.send("WebAuthn.clearCredentials", { authenticatorId });
    await cdp.send("WebAuthn.addCredential", { authenticatorId, credential });
  }

  // Attack: a cloned authenticator. The same key with its signature counter set back below the
  // count the server has seen: a valid signature over a regressed counter.
  await holdOnly({ ...current, signCount: 0 });
  result.regressedCounter = await page.evaluate(() => passwordless());

  // Attack: an assertion for another relying party. The authenticator holds the same key pair
  // for the page's own host (a relying-party id this origin may legitimately ask for); the
  // origin is listed, the challenge genuine, the signature valid and the counter ahead: only
  // the relying-party id is wrong.
  const spaHost = new URL(config.spa).hostname;
  await holdOnly({ ...current, rpId: spaHost, signCount: current.signCount + 100 });
  result.otherRelyingParty = await page.evaluate((rpId) => passwordless({ rpId }), spaHost);

  // The genuine authenticator, ahead of every count seen, still logs in.
  await holdOnly({ ...current, signCount: current.signCount + 10 });
  result.genuineAfterAttacks = await page.evaluate(() => passwordless());
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result));
