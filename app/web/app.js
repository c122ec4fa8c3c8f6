// The web client: plain JavaScript, no build step. It talks to the API at APP_CONFIG.apiUrl (config.js) or
// ?api=<url>, keeps the session token in sessionStorage, sends the profile's ETag back as If-Match, and shows
// every API error by its message (the `error.message` of the API's error envelope).
"use strict";

const apiUrl = (new URLSearchParams(location.search).get("api") || (window.APP_CONFIG && window.APP_CONFIG.apiUrl) || "").replace(/\/+$/, "");
const $ = (id) => document.getElementById(id);
let profileEtag = null;

function show(text, isError) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "ok";
}

/** An API error, with the envelope's code and message. */
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the API; resolves with {status, headers, body}, rejects with an ApiError saying what went wrong. */
async function api(method, path, { json, headers = {}, auth = true } = {}) {
  if (!apiUrl) throw new ApiError(0, "NO_API_URL", "No API URL: set apiUrl in config.js or open this page with ?api=<url>");
  const token = sessionStorage.getItem("token");
  const allHeaders = { ...headers };
  if (json !== undefined) allHeaders["Content-Type"] = "application/json";
  if (auth && token) allHeaders.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(apiUrl + path, { method, headers: allHeaders, body: json === undefined ? undefined : JSON.stringify(json) });
  } catch {
    // The browser hides why (CORS refused, network down, wrong URL) from the page on purpose.
    throw new ApiError(0, "NETWORK_ERROR", `The API at ${apiUrl} could not be reached from this page (network error or CORS refused)`);
  }
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = body && body.error;
    const message = error && error.message ? error.message : `The API answered ${response.status}`;
    throw new ApiError(response.status, error ? error.code : `HTTP_${response.status}`, message);
  }
  return { status: response.status, headers: response.headers, body };
}

function render(profile) {
  const signedIn = Boolean(sessionStorage.getItem("token"));
  $("signed-in").hidden = !signedIn;
  $("signed-out").hidden = signedIn;
  if (!signedIn) $("sessions").replaceChildren();
  if (profile) {
    $("profile-email").textContent = profile.email;
    $("profile-name").textContent = profile.name;
    $("profile-version").textContent = String(profile.version);
    $("edit-name").elements.name.value = profile.name;
  }
}

async function loadProfile() {
  const { headers, body } = await api("GET", "/users/me");
  profileEtag = headers.get("ETag");
  render(body);
  await loadSessions();
  return body;
}

const when = (iso) => new Date(iso).toLocaleString();

/** Lists the account's live sessions (GET /sessions), this one marked; text only, so a user agent is never markup. */
async function loadSessions() {
  const { body } = await api("GET", "/sessions");
  const items = body.sessions.map((session) => {
    const item = document.createElement("li");
    const label = session.current ? "This session" : session.userAgent || "Unknown client";
    item.textContent = `${label}: started ${when(session.createdAt)}, last used ${when(session.lastUsedAt)}, ends by ${when(session.expiresAt)}`;
    if (session.current) item.className = "current";
    return item;
  });
  $("sessions").replaceChildren(...items);
  return body.sessions.length;
}

/**
 * Runs an action from a form or button: shows its success text, or the API's error message. A 401 means the
 * session is over (the page shows the log-in form again), except where the API uses it for a wrong
 * currentPassword (`wrongPasswordIs401`).
 */
function action(fn, { wrongPasswordIs401 = false } = {}) {
  return async (event) => {
    if (event) event.preventDefault();
    try {
      const done = await fn(event && event.target);
      if (done) show(done, false);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && !wrongPasswordIs401 && sessionStorage.getItem("token")) {
        sessionStorage.removeItem("token");
        render();
      }
      show(error.message, true);
    }
  };
}

$("sign-up").addEventListener(
  "submit",
  action(async (form) => {
    const { email, name, password } = form.elements;
    const { body } = await api("POST", "/users", { json: { email: email.value, name: name.value, password: password.value }, auth: false });
    form.reset();
    $("log-in").elements.email.value = body.email;
    return `Account created for ${body.email}: log in`;
  }),
);

$("log-in").addEventListener(
  "submit",
  action(async (form) => {
    const { email, password } = form.elements;
    const { body } = await api("POST", "/sessions", { json: { email: email.value, password: password.value }, auth: false });
    sessionStorage.setItem("token", body.token);
    form.reset();
    await loadProfile();
    return `Logged in as ${body.user.name}`;
  }),
);

$("reload").addEventListener(
  "click",
  action(async () => {
    await loadProfile();
    return "Profile loaded";
  }),
);

$("edit-name").addEventListener(
  "submit",
  action(async (form) => {
    const headers = profileEtag ? { "If-Match": profileEtag } : {};
    const { headers: answer, body } = await api("PATCH", "/users/me", { json: { name: form.elements.name.value }, headers });
    profileEtag = answer.get("ETag");
    render(body);
    return `Name saved (version ${body.version})`;
  }),
);

$("change-password").addEventListener(
  "submit",
  action(
    async (form) => {
      const { currentPassword, password } = form.elements;
      const { headers, body } = await api("PATCH", "/users/me", { json: { currentPassword: currentPassword.value, password: password.value } });
      profileEtag = headers.get("ETag");
      form.reset();
      render(body);
      return "Password changed: your other sessions have ended";
    },
    { wrongPasswordIs401: true },
  ),
);

$("log-out").addEventListener(
  "click",
  action(async () => {
    await api("DELETE", "/sessions/current");
    sessionStorage.removeItem("token");
    render();
    return "Logged out";
  }),
);

$("load-sessions").addEventListener(
  "click",
  action(async () => {
    const count = await loadSessions();
    return `${count} session(s)`;
  }),
);

$("log-out-everywhere").addEventListener(
  "click",
  action(async () => {
    if (!window.confirm("End every session of this account, on every device, this one included?")) return undefined;
    await api("DELETE", "/sessions");
    sessionStorage.removeItem("token");
    render();
    return "Logged out everywhere: every session has ended";
  }),
);

$("delete-account").addEventListener(
  "submit",
  action(
    async (form) => {
      if (!window.confirm("Delete your account and everything in it?")) return undefined;
      await api("DELETE", "/users/me", { json: { currentPassword: form.elements.currentPassword.value } });
      form.reset();
      sessionStorage.removeItem("token");
      render();
      return "Account deleted";
    },
    { wrongPasswordIs401: true },
  ),
);

$("api-url").textContent = apiUrl || "(not set: use config.js or ?api=<url>)";
render();
if (sessionStorage.getItem("token"))
  action(async () => {
    await loadProfile();
  })();
