// Texts: the app's messages are English in the code, marked _("..."), and translated in the pages' catalogue
// (translations/*.po); the server serves them with the labels of every code (server/labels.py) as
// /app/catalogue/<lang>.json, which the service worker keeps for offline starts.
export const LANGUAGES = ["vi", "en"];
export const TIME_ZONE = "Asia/Ho_Chi_Minh";

let catalogue = { locale: "vi", messages: {}, labels: {} };

export function setCatalogue(value) {
  catalogue = value;
  if (typeof document !== "undefined") document.documentElement.lang = value.locale;
}

export function locale() {
  return catalogue.locale;
}

/** The message in the current language; `%(name)s` placeholders filled from `values`. */
export function _(message, values = null) {
  const text = catalogue.messages[message] || message;
  if (!values) return text;
  return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The label of a code in one vocabulary (record kinds, conditions, ...); an unknown code as it is. */
export function label(code, vocabulary) {
  if (code === null || code === undefined || code === "") return "–";
  const table = catalogue.labels[vocabulary] || {};
  return table[code] || String(code);
}

/** The codes of a vocabulary, in the server's order, with their labels. */
export function choices(vocabulary) {
  return Object.entries(catalogue.labels[vocabulary] || {});
}

export async function loadCatalogue(lang) {
  const response = await fetch(`/app/catalogue/${lang}.json`);
  if (!response.ok) throw new Error(`catalogue ${lang}: HTTP ${response.status}`);
  setCatalogue(await response.json());
}

/** dd/mm/yyyy HH:MM in Viet Nam time. */
export function formatDateTime(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "–";
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: TIME_ZONE,
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

/** A number in the page's language (1.234,5 in Vietnamese). */
export function formatNumber(value, digits = 1) {
  return new Intl.NumberFormat(catalogue.locale === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: digits }).format(
    value,
  );
}
