// The server's message catalogue (translations/<lang>/LC_MESSAGES/messages.po) as the app's i18n uses it, for the
// tests that check texts in Vietnamese: the same entries /app/catalogue/<lang>.json serves (translated, not fuzzy).
import { readFileSync } from "node:fs";

import { po } from "gettext-parser";

import { _, setCatalogue } from "../src/i18n.js";

const root = new URL("../../", import.meta.url);

/** The app's translator `_` over the server's catalogue for `locale`. */
export function useCatalogue(locale) {
  const parsed = po.parse(readFileSync(new URL(`translations/${locale}/LC_MESSAGES/messages.po`, root)));
  const messages = {};
  for (const entry of Object.values(parsed.translations[""] || {})) {
    const fuzzy = ((entry.comments && entry.comments.flag) || "").split(",").some((flag) => flag.trim() === "fuzzy");
    if (entry.msgid && entry.msgstr[0] && !fuzzy) messages[entry.msgid] = entry.msgstr[0];
  }
  setCatalogue({ locale, messages, labels: {} });
  return _;
}
