// The field app: start-up, the session, the sync loop and the screens (hash routes under /app/).
import { Api } from "./api.js";
import { StorageFull, getMeta, persist, saveWithPhotos, setMeta, store, wipe } from "./db.js";
import { clear, h } from "./dom.js";
import { LANGUAGES, _, formatDateTime, label, loadCatalogue, locale } from "./i18n.js";
import { uuid } from "./geo.js";
import { CONFLICT, RECORD, REJECTED, SENT, TICKET_ACTION, WAITING, newItem, resend, summary } from "./outbox.js";
import { OUTBOX, PHOTOS, pruneSent, pushAll } from "./push.js";
import { describe, fieldLabel } from "./records.js";
import { refreshWorkingSet } from "./working.js";
import { recordForm, surveyForm } from "./ui/forms.js";
import { sitesScreen } from "./ui/sites.js";
import { ticketScreen, ticketsScreen } from "./ui/tickets.js";

const SYNC_EVERY = 60_000;
const root = document.getElementById("app");
export const app = {
  api: new Api({ server: location.origin }),
  session: null, // {username, me}
  syncing: false,
  status: "",
  timer: null,
};

// ---- start-up -------------------------------------------------------------------------------------------

async function start() {
  const lang = (await getMeta("lang")) || "vi";
  await setLanguage(lang, false);
  app.session = await getMeta("session");
  app.api.token = await getMeta("token");
  if (!(await getMeta("device_id"))) await setMeta("device_id", `web-${uuid().slice(0, 8)}`);
  window.addEventListener("hashchange", render);
  window.addEventListener("online", () => {
    renderStatus();
    syncNow();
  });
  window.addEventListener("offline", renderStatus);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
  persist();
  render();
  if (app.api.token) syncNow();
}

async function setLanguage(lang, rerender = true) {
  if (!LANGUAGES.includes(lang)) lang = "vi";
  try {
    await loadCatalogue(lang);
  } catch {
    // no catalogue yet (first start offline): English texts and codes until the next start online
  }
  app.api.lang = lang;
  await setMeta("lang", lang);
  if (rerender) render();
}

// ---- sync ---------------------------------------------------------------------------------------------------

/** Send the outbox, then pull the working set; again at the next due time. One run at a time. */
export async function syncNow() {
  if (app.syncing || !app.api.token) return;
  app.syncing = true;
  clearTimeout(app.timer);
  let next = SYNC_EVERY;
  let ran = false; // offline nothing changes: no redraw (it would replace a screen the person is using)
  try {
    if (!navigator.onLine) return;
    ran = true;
    document.body.dataset.sync = "running";
    setStatus(_("Sending…"));
    const pushed = await pushAll({
      store,
      api: app.api,
      deviceId: await getMeta("device_id"),
      onTicket: async (ticket) => {
        const held = (await store.get("tickets", ticket.id)) || {};
        await store.put("tickets", { ...held, ...ticket, local_status: null });
      },
    });
    if (pushed.stop === "signed_out") return signedOutByCoordinator();
    if (pushed.retryAt) next = Math.max(1000, Math.min(next, pushed.retryAt - Date.now()));
    setStatus(_("Updating the team's data…"));
    const status = await refreshWorkingSet(app.api, app.session.me);
    if (status === 401) return signedOutByCoordinator();
    setStatus(status === 200 ? _("Up to date: %(time)s", { time: formatDateTime(Date.now()) }) : _("No link to the server."));
    if (status === 200) await pushAll({ store, api: app.api, deviceId: await getMeta("device_id") }); // ticket versions pulled
    if (status === 200) await pruneSent({ store });
    document.body.dataset.sync = status === 200 ? "done" : "failed";
  } catch (error) {
    document.body.dataset.sync = "failed";
    setStatus(error instanceof StorageFull ? storageFullMessage() : _("No link to the server."));
  } finally {
    app.syncing = false;
    app.timer = setTimeout(syncNow, next);
    if (ran) refreshCurrent();
  }
}

function setStatus(text) {
  app.status = text;
  renderStatus();
}

function storageFullMessage() {
  return _("The phone's storage is full: free some space. Nothing already saved is lost.");
}

async function signedOutByCoordinator() {
  app.api.token = null;
  await setMeta("token", null);
  await setMeta("revoked", true);
  location.hash = "#/signin";
  render();
}

// ---- session --------------------------------------------------------------------------------------------------

async function beginSession(token) {
  app.api.token = token;
  const me = await app.api.get("/me");
  if (me.status !== 200) {
    app.api.token = null;
    return me.status === 0 ? _("No link to the server.") : _("Sign-in failed: the user name, the password or the token is not right.");
  }
  const previous = await getMeta("session");
  if (previous && previous.me.id !== me.body.id) {
    const unsent = (await store.all(OUTBOX)).filter((item) => item.state !== SENT).length;
    if (unsent) {
      app.api.token = null;
      return _("This phone holds unsent records of another person: they must sign in and send them first.");
    }
    await wipe();
  }
  app.session = { username: me.body.username, me: me.body };
  await setMeta("token", token);
  await setMeta("session", app.session);
  await setMeta("revoked", false);
  location.hash = "#/";
  syncNow();
  return null;
}

async function signOut(force = false) {
  const items = await store.all(OUTBOX);
  const unsent = items.filter((item) => item.state !== SENT).length;
  const photos = (await store.all(PHOTOS)).filter((photo) => photo.state === WAITING).length;
  if ((unsent || photos) && !force) {
    return confirmScreen(
      _("%(count)s records or photos have not been sent. Signing out now deletes them from this phone.", {
        count: unsent + photos,
      }),
      _("Delete them and sign out"),
      () => signOut(true),
    );
  }
  if (navigator.onLine && app.api.token) await app.api.signOut();
  app.api.token = null;
  app.session = null;
  await wipe();
  location.hash = "#/signin";
  render();
}

// ---- screens ----------------------------------------------------------------------------------------------------

let statusNode = null;

function renderStatus() {
  if (!statusNode) return;
  clear(statusNode).append(
    h("span", { class: navigator.onLine ? "online" : "offline" }, navigator.onLine ? _("Online") : _("Offline")),
    " ",
    app.status,
  );
}

function shell(title, ...content) {
  statusNode = h("p", { class: "status", role: "status" });
  const header = h(
    "header",
    {},
    location.hash && location.hash !== "#/" ? h("a", { href: "#/", class: "back" }, "← ", _("Home")) : null,
    h("h1", {}, title),
    statusNode,
  );
  clear(root).append(header, h("main", {}, ...content));
  renderStatus();
}

export function showMessage(text, kind = "info") {
  const node = h("p", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  root.querySelector("main")?.prepend(node);
  node.scrollIntoView({ block: "nearest" });
  return node;
}

function confirmScreen(question, yes, onYes) {
  shell(
    _("Please confirm"),
    h("p", { class: "message warning" }, question),
    h("button", { class: "danger", onclick: onYes }, yes),
    h("a", { class: "button", href: "#/" }, _("Cancel")),
  );
}

async function signInScreen() {
  const revoked = await getMeta("revoked");
  const unsent = (await store.all(OUTBOX)).filter((item) => item.state !== SENT).length;
  const error = h("p", { class: "error", role: "alert" });
  const username = h("input", { name: "username", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = "";
        const answer = await app.api.signIn(username.value.trim(), password.value, navigator.userAgent.slice(0, 100));
        if (answer.status !== 201) {
          error.textContent =
            answer.status === 0
              ? _("No link to the server.")
              : (answer.body && answer.body.detail) || _("Sign-in failed: the user name, the password or the token is not right.");
          return;
        }
        const problem = await beginSession(answer.body.token);
        if (problem) error.textContent = problem;
      },
    },
    h("label", {}, _("User name"), username),
    h("label", {}, _("Password"), password),
    h("button", { type: "submit" }, _("Sign in")),
    error,
  );
  const scanError = h("p", { class: "error", role: "alert" });
  const video = h("video", { playsinline: true, muted: true, hidden: true });
  const useText = async (text) => {
    const { parseEnrolment } = await import("./qr.js");
    const enrolment = parseEnrolment(text || "");
    if (enrolment instanceof Error) return (scanError.textContent = _("This is not an enrolment QR code of fieldops."));
    if (enrolment.server !== location.origin) {
      return (scanError.textContent = _("This QR code is for another server: open the app from %(server)s/app/", {
        server: enrolment.server,
      }));
    }
    const problem = await beginSession(enrolment.token);
    if (problem) scanError.textContent = problem;
  };
  const picture = h("input", {
    type: "file",
    accept: "image/*",
    name: "qr_picture",
    onchange: async () => {
      const { decodeImage } = await import("./qr.js");
      const file = picture.files[0];
      if (file) useText(await decodeImage(file));
    },
  });
  shell(
    _("Sign in"),
    revoked
      ? h(
          "p",
          { class: "message warning", role: "alert", id: "revoked" },
          _("This phone was signed out by your coordinator."),
          " ",
          unsent ? _("%(count)s unsent records are kept: sign in again to send them.", { count: unsent }) : "",
        )
      : null,
    form,
    h(
      "section",
      {},
      h("h2", {}, _("Or scan the enrolment QR code")),
      h(
        "button",
        {
          type: "button",
          onclick: async () => {
            const { scanCamera } = await import("./qr.js");
            video.hidden = false;
            try {
              await scanCamera(video, (text) => {
                video.hidden = true;
                useText(text);
              });
            } catch {
              scanError.textContent = _("The camera cannot be used: take a picture of the code instead.");
            }
          },
        },
        _("Scan with the camera"),
      ),
      video,
      h("label", {}, _("Or choose a picture of the code"), picture),
      scanError,
    ),
    languageSwitch(),
  );
}

function languageSwitch() {
  return h(
    "p",
    { class: "languages" },
    LANGUAGES.map((lang) =>
      h(
        "button",
        { type: "button", class: "link", "aria-pressed": String(lang === locale()), onclick: () => setLanguage(lang) },
        label(lang, "locale"),
      ),
    ),
  );
}

async function homeScreen() {
  const items = await store.all(OUTBOX);
  const counts = summary(items);
  const surveys = await store.all("surveys");
  const tickets = (await store.all("tickets")).filter((ticket) => !["closed", "verified"].includes(ticket.status));
  const me = app.session.me;
  shell(
    _("Field work"),
    h("p", { class: "who" }, me.display_name || me.username, " · ", label(me.role, "role"), me.team ? ` · ${me.team.name}` : ""),
    h(
      "nav",
      { class: "tiles" },
      ["visit", "equipment_check", "connectivity_reading", "assistance_log", "finding"].map((kind) =>
        h("a", { class: "tile", href: `#/new/${kind}`, dataset: { kind } }, label(kind, "record_kind")),
      ),
      h("a", { class: "tile", href: "#/surveys" }, _("Survey forms"), ` (${latestSurveys(surveys).length})`),
      h("a", { class: "tile", href: "#/tickets" }, _("Tickets"), ` (${tickets.length})`),
      h("a", { class: "tile", href: "#/sites" }, _("Sites")),
    ),
    h(
      "a",
      { class: "outbox-link", href: "#/outbox", id: "outbox-link" },
      _("Outbox: %(waiting)s waiting, %(rejected)s rejected, %(sent)s sent", counts),
    ),
    h("button", { type: "button", onclick: syncNow }, _("Send and update now")),
    await settingsSection(),
    languageSwitch(),
    h("button", { type: "button", class: "link", id: "sign-out", onclick: () => signOut() }, _("Sign out")),
  );
}

async function settingsSection() {
  const settings = (await getMeta("settings")) || {};
  const size = h(
    "select",
    {
      name: "photo_max_side",
      onchange: async () => setMeta("settings", { ...settings, photoMaxSide: Number(size.value) }),
    },
    [1024, 1600, 2048].map((value) =>
      h("option", { value, selected: value === (settings.photoMaxSide || 1600) }, `${value} px`),
    ),
  );
  return h("details", {}, h("summary", {}, _("Settings")), h("label", {}, _("Largest photo side"), size));
}

function latestSurveys(versions) {
  const latest = new Map();
  for (const version of versions) {
    const held = latest.get(version.survey_id);
    if (!held || held.number < version.number) latest.set(version.survey_id, version);
  }
  return [...latest.values()].sort((a, b) => String(a.title).localeCompare(String(b.title)));
}

async function surveysScreen() {
  const surveys = latestSurveys(await store.all("surveys"));
  shell(
    _("Survey forms"),
    surveys.length
      ? h(
          "ul",
          { class: "list" },
          surveys.map((version) => h("li", {}, h("a", { href: `#/survey/${version.id}` }, version.title))),
        )
      : h("p", {}, _("No survey forms yet: they come with the next update online.")),
  );
}

const STATE_LABELS = () => ({
  [WAITING]: _("Waiting"),
  [SENT]: _("Sent"),
  [REJECTED]: _("Rejected"),
  [CONFLICT]: _("Conflict"),
});

function itemTitle(item) {
  if (item.kind === TICKET_ACTION) return `${label(item.body.action, "ticket_action")} · #${item.body.ticket_id}`;
  if (item.body.type === "survey_response") return _("Survey response");
  return label(item.body.type, "record_kind");
}

/** The server's reasons, each after the label of its field (a field the app has no label for: the reason alone). */
function errorList(errors, type = null) {
  if (!errors) return null;
  return h(
    "ul",
    { class: "errors" },
    Object.entries(errors).map(([field, messages]) => {
      const name = fieldLabel(type, field);
      const text = Array.isArray(messages) ? messages.flat(Infinity).join(" ") : reasons(messages);
      return h("li", {}, name ? `${name}: ` : "", text);
    }),
  );
}

/** Nested reasons (survey answers per question) as one text. */
function reasons(value) {
  if (value && typeof value === "object") return Object.values(value).map(reasons).join(" ");
  return String(value);
}

async function outboxScreen() {
  const items = (await store.all(OUTBOX)).sort((a, b) => b.created_at - a.created_at);
  const photos = await store.all(PHOTOS);
  const states = STATE_LABELS();
  shell(
    _("Outbox"),
    items.length ? null : h("p", {}, _("Nothing recorded yet.")),
    h(
      "ul",
      { class: "list outbox" },
      items.map((item) => {
        const itemPhotos = photos.filter((photo) => photo.record_id === item.id);
        const sentPhotos = itemPhotos.filter((photo) => photo.state === SENT).length;
        return h(
          "li",
          { class: `item ${item.state}`, dataset: { id: item.id, state: item.state } },
          h("strong", {}, itemTitle(item)),
          " ",
          h("span", { class: `badge ${item.state}` }, states[item.state]),
          h("br"),
          h("small", {}, formatDateTime(item.created_at), " ", item.kind === RECORD ? describe(item.body, label) : ""),
          itemPhotos.length ? h("small", { class: "photos" }, " · ", _("Photos sent: %(sent)s of %(count)s", { sent: sentPhotos, count: itemPhotos.length })) : null,
          item.state === REJECTED || item.state === CONFLICT ? errorList(item.errors, item.body.type) : null,
          item.state === REJECTED && item.kind === RECORD
            ? h("a", { class: "button", href: `#/${item.body.type === "survey_response" ? "edit-survey" : "edit"}/${item.id}` }, _("Correct and send again"))
            : null,
          item.state === CONFLICT && item.current
            ? h(
                "div",
                { class: "conflict" },
                h("p", {}, _("The ticket changed meanwhile. Now: %(status)s (version %(version)s).", {
                  status: label(item.current.status, "ticket_status"),
                  version: item.current.version,
                })),
                h("button", { type: "button", onclick: () => retryAction(item) }, _("Send again on the current version")),
                h("button", { type: "button", class: "link", onclick: () => dropItem(item) }, _("Discard")),
              )
            : null,
        );
      }),
    ),
  );
}

async function retryAction(item) {
  await store.put(OUTBOX, resend(item, { ...item.body, version: item.current.version }));
  syncNow();
  render();
}

async function dropItem(item) {
  await store.delete(OUTBOX, item.id);
  render();
}

// ---- saving -------------------------------------------------------------------------------------------

/** Put a new or corrected record (and its photos) in the outbox; false when the phone could not store it. */
export async function saveRecord(body, photos = [], previous = null) {
  const item = previous ? resend(previous, body) : newItem(RECORD, body, { photos: photos.map((photo) => photo.id) });
  try {
    await saveWithPhotos(item, photos);
  } catch (error) {
    showMessage(error instanceof StorageFull ? storageFullMessage() : String(error), "error");
    return false;
  }
  syncNow();
  return true;
}

export async function queueTicketAction(body) {
  try {
    await store.put(OUTBOX, newItem(TICKET_ACTION, { id: uuid(), ...body }));
  } catch (error) {
    showMessage(error instanceof StorageFull ? storageFullMessage() : String(error), "error");
    return false;
  }
  syncNow();
  return true;
}

// ---- routing -------------------------------------------------------------------------------------------

let current = null;
let drawing = Promise.resolve();

/** Draw the screen the route names. Draws run one after another in the order asked for, so a draw started
 * with data read before a change (a sync finishing) never lands after the draw asked for by the change. */
function render() {
  drawing = drawing.then(draw, draw);
  return drawing;
}

async function draw() {
  const route = (location.hash || "#/").slice(1);
  if (!app.api.token && route !== "/signin") {
    location.hash = "#/signin";
    return;
  }
  const [, screen, argument] = route.split("/");
  current = { route };
  if (screen === "signin") return signInScreen();
  if (screen === "new") return recordForm(argument, null);
  if (screen === "edit") return recordForm(null, await store.get(OUTBOX, argument));
  if (screen === "outbox") return outboxScreen();
  if (screen === "surveys") return surveysScreen();
  if (screen === "survey") return surveyForm(Number(argument), null);
  if (screen === "edit-survey") return surveyForm(null, await store.get(OUTBOX, argument));
  if (screen === "tickets") return ticketsScreen();
  if (screen === "ticket") return ticketScreen(Number(argument));
  if (screen === "sites") return sitesScreen();
  return homeScreen();
}

/** After a sync, redraw the lists that show states (never a form being filled, nor a ticket's comment or
 * evidence being written: the sync runs every minute and would wipe them). */
function refreshCurrent() {
  if (!current) return;
  const screen = current.route.split("/")[1] || "";
  if (!["", "outbox", "tickets", "ticket"].includes(screen)) return;
  const writing = [...document.querySelectorAll("textarea, select")].some((field) => field.value.trim() !== "");
  if (!writing) render();
}

export { shell, errorList, latestSurveys, STATE_LABELS, render };

start();
