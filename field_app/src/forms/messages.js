// The texts of the form engine are English message ids (the server's own where it says the same thing), marked
// t("...") or this.t("..."): `make translations` extracts them into the server's catalogue
// (translations/*/LC_MESSAGES/messages.po) and /app/catalogue/<lang>.json serves them with the app's other texts.
// The app passes its catalogue's `_` as `t`; without one the engine speaks English. Placeholders are Python's
// %(name)s, as in the server's catalogue.

/** Fill %(name)s placeholders; the English text itself. */
export function identity(message, values = {}) {
  return message.replace(/%\((\w+)\)s/g, (whole, key) => (Object.hasOwn(values, key) ? String(values[key]) : whole));
}
