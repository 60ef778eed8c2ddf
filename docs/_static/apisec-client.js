/*
 * A minimal browser client for django_apisec JWT sessions, in plain JavaScript.
 *
 * The access token lives in memory only; the refresh token is an HttpOnly cookie the page never
 * sees. Works for both layouts: the SPA on the API's origin (baseUrl "") and on another origin
 * of the same site (baseUrl "https://api.example.com"), because every call that needs the cookie
 * is sent with credentials: "include".
 *
 *   const api = new ApisecClient({ baseUrl: "https://api.example.com" });
 *   await api.restore();                 // on page load: a session from the cookie, if any
 *   await api.login("alice", "secret");  // else ask for credentials
 *   const me = await api.fetch("/api/me/").then((r) => r.json());
 *   await api.logout();
 *
 * Tested in Chromium by tests/browser/ (docs: "Front ends").
 */
"use strict";

class ApisecError extends Error {
  constructor(status, code) {
    super(`${status} ${code}`);
    this.status = status;
    this.code = code;
  }
}

class ApisecClient {
  constructor({ baseUrl = "", authPath = "/api/auth/", onLogout = () => {} } = {}) {
    this.baseUrl = baseUrl;
    this.authPath = authPath;
    this.onLogout = onLogout;
    this.access = null;
    this.refreshing = null; // one refresh at a time in this tab
    this.timer = null;
    this.stats = { refreshes: 0, superseded: 0 };
  }

  get loggedIn() {
    return this.access !== null;
  }

  async login(username, password) {
    const response = await this._post("login/", { username, password });
    if (!response.ok) throw new ApisecError(response.status, await this._code(response));
    this._accept(await response.json());
  }

  /** On page load: exchange the refresh cookie (if any) for an access token. */
  async restore() {
    try {
      await this.refresh();
      return true;
    } catch (error) {
      if (error instanceof ApisecError && error.status === 401) return false;
      throw error;
    }
  }

  /**
   * Rotate the session. Another tab may have rotated the same cookie a moment ago: the server
   * then answers 409 refresh_superseded, leaves the cookie alone, and the browser already holds
   * the winner's new cookie, so wait a little and retry with it.
   */
  refresh() {
    this.refreshing ??= this._refresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  async _refresh() {
    for (let attempt = 0; ; attempt += 1) {
      const response = await this._post("refresh/");
      this.stats.refreshes += 1;
      if (response.ok) return this._accept(await response.json());
      const code = await this._code(response);
      if (response.status === 409 && code === "refresh_superseded" && attempt < 5) {
        this.stats.superseded += 1;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
        continue;
      }
      // 401: the session is over (the server has expired the cookie in the same answer).
      this._forget();
      throw new ApisecError(response.status, code);
    }
  }

  /** fetch() with the access token; refreshes once on a 401 (lazy refresh). */
  async fetch(path, options = {}) {
    if (this.refreshing) await this.refreshing.catch(() => {});
    let response = await this._authorized(path, options);
    if (response.status === 401 && this.loggedIn) {
      await this.refresh();
      response = await this._authorized(path, options);
    }
    return response;
  }

  async logout() {
    try {
      await this._post("logout/"); // revokes the session and expires the cookie
    } finally {
      this._forget();
    }
  }

  _authorized(path, options) {
    const headers = new Headers(options.headers || {});
    if (this.access) headers.set("Authorization", `Bearer ${this.access}`);
    return fetch(this.baseUrl + path, { ...options, headers, credentials: "include" });
  }

  _post(endpoint, body) {
    const init = { method: "POST", credentials: "include", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(this.baseUrl + this.authPath + endpoint, init);
  }

  async _code(response) {
    try {
      return (await response.json()).code || "error";
    } catch {
      return "error";
    }
  }

  _accept({ access }) {
    this.access = access;
    // Proactive refresh: one minute before the access token expires (never sooner than 5 s).
    const { exp } = JSON.parse(atob(access.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    const delay = Math.max(5, exp - Date.now() / 1000 - 60) * 1000;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh().catch(() => {}), delay);
  }

  _forget() {
    const wasLoggedIn = this.loggedIn;
    this.access = null;
    clearTimeout(this.timer);
    if (wasLoggedIn) this.onLogout();
  }
}

if (typeof window !== "undefined") {
  window.ApisecClient = ApisecClient;
  window.ApisecError = ApisecError;
}
