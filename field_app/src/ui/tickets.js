// The team's tickets with their history, and the actions the team may take on them (start, comment, resolve
// with evidence, verify), queued in the outbox with the ticket's version: they go out when there is a link,
// and a ticket that changed meanwhile shows the conflict and its current state.
import { STATE_LABELS, errorList, queueTicketAction, render, shell } from "../main.js";
import { store } from "../db.js";
import { h } from "../dom.js";
import { _, formatDateTime, label } from "../i18n.js";
import { SENT, TICKET_ACTION } from "../outbox.js";
import { RESULT_STATUS } from "../push.js";

const FIELD_ACTIONS = ["start", "comment", "resolve", "verify"];
// What a field team may do next from a status, while its own queued actions are not yet on the server.
const NEXT = { open: ["start"], assigned: ["start"], reopened: ["start"], in_progress: ["resolve"], resolved: ["verify"] };
const EVIDENCE_KINDS = ["visit", "equipment_check", "connectivity_reading", "assistance_log", "finding"];

export async function ticketsScreen() {
  const tickets = (await store.all("tickets")).sort(
    (a, b) => Number(b.overdue) - Number(a.overdue) || String(a.due_at).localeCompare(String(b.due_at)),
  );
  shell(
    _("Tickets"),
    tickets.length ? null : h("p", {}, _("No tickets for your team.")),
    h(
      "ul",
      { class: "list tickets" },
      tickets.map((ticket) =>
        h(
          "li",
          { class: ticket.overdue ? "overdue" : "" },
          h("a", { href: `#/ticket/${ticket.id}` }, h("strong", {}, ticket.title)),
          h("br"),
          h(
            "small",
            {},
            label(ticket.status, "ticket_status"),
            " · ",
            label(ticket.priority, "priority"),
            " · ",
            _("due %(date)s", { date: formatDateTime(ticket.due_at) }),
            ticket.overdue ? " · " + _("overdue") : "",
          ),
        ),
      ),
    ),
  );
}

export async function ticketScreen(ticketId) {
  const ticket = await store.get("tickets", ticketId);
  if (!ticket) return shell(_("Not found"), h("p", {}, _("This ticket is not on the phone.")));
  const queued = (await store.all("outbox")).filter(
    (item) => item.kind === TICKET_ACTION && item.body.ticket_id === ticketId && item.state !== SENT,
  );
  const records = (await store.all("outbox"))
    .filter((item) => EVIDENCE_KINDS.includes(item.body.type))
    .sort((a, b) => b.created_at - a.created_at)
    .slice(0, 20);
  const allowed = ticket.local_status
    ? [...(NEXT[ticket.local_status] || []), "comment"]
    : (ticket.allowed_actions || FIELD_ACTIONS).filter((action) => FIELD_ACTIONS.includes(action));
  const comment = h("textarea", { name: "comment", rows: 3, maxlength: 5000 });
  const evidence = h(
    "select",
    { name: "evidence" },
    h("option", { value: "" }, "—"),
    records.map((item) =>
      h("option", { value: item.id }, `${label(item.body.type, "record_kind")} · ${formatDateTime(item.created_at)}`),
    ),
  );
  const error = h("p", { class: "error", role: "alert" });
  const act = async (action) => {
    error.textContent = "";
    const text = comment.value.trim();
    if (action === "comment" && !text) return (error.textContent = _("Write the comment first."));
    const chosen = records.find((item) => item.id === evidence.value);
    const body = { ticket_id: ticketId, action, version: ticket.version, comment: text };
    if (chosen && (action === "resolve" || action === "verify")) body.evidence = { kind: chosen.body.type, id: chosen.id };
    if (await queueTicketAction(body)) {
      if (RESULT_STATUS[action]) await store.put("tickets", { ...ticket, local_status: RESULT_STATUS[action] });
      render();
    }
  };
  const states = STATE_LABELS();
  shell(
    ticket.title,
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, _("Status")),
      h(
        "dd",
        { id: "ticket-status" },
        label(ticket.local_status || ticket.status, "ticket_status"),
        ticket.local_status ? " (" + _("waiting to be sent") + ")" : "",
      ),
      h("dt", {}, _("Priority")),
      h("dd", {}, label(ticket.priority, "priority")),
      h("dt", {}, _("Category")),
      h("dd", {}, label(ticket.category, "category")),
      h("dt", {}, _("Due")),
      h("dd", {}, formatDateTime(ticket.due_at)),
      h("dt", {}, _("Version")),
      h("dd", {}, ticket.version),
    ),
    ticket.description ? h("p", {}, ticket.description) : null,
    queued.length
      ? h(
          "section",
          { class: "queued" },
          h("h2", {}, _("Waiting to be sent")),
          h(
            "ul",
            {},
            queued.map((item) =>
              h(
                "li",
                { dataset: { state: item.state } },
                label(item.body.action, "ticket_action"),
                " · ",
                states[item.state],
                item.errors ? errorList(item.errors, TICKET_ACTION) : null,
                item.current
                  ? h("p", {}, _("The ticket changed meanwhile. Now: %(status)s (version %(version)s).", {
                      status: label(item.current.status, "ticket_status"),
                      version: item.current.version,
                    }))
                  : null,
              ),
            ),
          ),
        )
      : null,
    h(
      "section",
      { class: "actions" },
      h("h2", {}, _("Act")),
      h("label", {}, _("Comment"), comment),
      allowed.includes("resolve") || allowed.includes("verify") ? h("label", {}, _("Evidence (a record of yours)"), evidence) : null,
      allowed.map((action) =>
        h("button", { type: "button", dataset: { action }, onclick: () => act(action) }, label(action, "ticket_action")),
      ),
      error,
    ),
    h(
      "section",
      { class: "history" },
      h("h2", {}, _("History")),
      h(
        "ol",
        {},
        (ticket.events || []).map((event) =>
          h(
            "li",
            {},
            h("small", {}, formatDateTime(event.at)),
            " ",
            label(event.action, "ticket_event"),
            event.to_status ? ` → ${label(event.to_status, "ticket_status")}` : "",
            event.comment ? h("p", {}, event.comment) : null,
          ),
        ),
      ),
    ),
  );
}
