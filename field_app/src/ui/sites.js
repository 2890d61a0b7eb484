// Every site of the team's area, searchable. Rows are plain list items with `content-visibility: auto`, so a
// list of 500 sites scrolls smoothly on a low-end phone (the browser lays out only what is on screen).
import { shell } from "../main.js";
import { store } from "../db.js";
import { h } from "../dom.js";
import { _, label } from "../i18n.js";

function fold(text) {
  return String(text || "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .toLowerCase();
}

export async function sitesScreen() {
  const sites = (await store.all("sites")).sort((a, b) => String(a.name).localeCompare(String(b.name), "vi"));
  const communes = new Map((await store.all("communes")).map((unit) => [unit.code, unit.name]));
  const rows = sites.map((site) => {
    const row = h(
      "li",
      { class: "site" },
      h("strong", {}, site.name),
      h("br"),
      h("small", {}, label(site.kind, "site_kind"), " · ", communes.get(site.admin_unit_code) || site.admin_unit_code),
      site.assets && site.assets.length ? h("small", {}, " · ", _("%(count)s items of equipment", { count: site.assets.length })) : null,
    );
    row.dataset.search = fold(`${site.name} ${communes.get(site.admin_unit_code) || ""}`);
    return row;
  });
  const list = h("ul", { class: "list sites" }, rows);
  const count = h("p", { class: "count" }, _("%(count)s sites", { count: sites.length }));
  let timer = null;
  const search = h("input", {
    type: "search",
    name: "q",
    placeholder: _("Search by name or commune"),
    oninput: () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const wanted = fold(search.value.trim());
        let shown = 0;
        for (const row of rows) {
          row.hidden = Boolean(wanted) && !row.dataset.search.includes(wanted);
          if (!row.hidden) shown += 1;
        }
        count.textContent = _("%(count)s sites", { count: shown });
      }, 150);
    },
  });
  shell(_("Sites"), h("label", {}, _("Search"), search), count, list);
}
