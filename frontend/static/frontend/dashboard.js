// The outlet dashboard: today's sessions, updated live. Times are the outlet's (the server's
// TIME_ZONE, given by the page), never the browser's, so live and reloaded rows agree.
import { liveSocket, stateLabel } from "./api.js";

const root = document.getElementById("dashboard");
const rows = document.getElementById("dashboard-rows");
const timeFormat = new Intl.DateTimeFormat("en-GB", {
  hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: root.dataset.timeZone || undefined,
});

function cell(content, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  if (typeof content === "string") td.textContent = content;
  else td.append(content);
  return td;
}

function timeOf(iso) {
  const element = document.createElement("time");
  element.dateTime = iso;
  element.textContent = timeFormat.format(new Date(iso));
  return element;
}

function sessionLink(session) {
  const link = document.createElement("a");
  link.className = "row-link";
  link.href = root.dataset.sessionUrl.replace("00000000-0000-0000-0000-000000000000", session.id);
  link.title = session.subscriber_name;
  link.textContent = session.subscriber_name;
  return link;
}

function stateBadge(state) {
  const badge = document.createElement("span");
  badge.className = `state state-${state}`;
  badge.textContent = stateLabel(state);
  return badge;
}

function upsert(session) {
  let row = rows.querySelector(`tr[data-session="${session.id}"]`);
  const fresh = [cell(timeOf(session.created_at)), cell(sessionLink(session), "name"),
    cell(session.phone_number, "phone"), cell(String(session.attempt_count), "attempts num"), cell(stateBadge(session.state))];
  if (!row) {
    rows.querySelector("tr.empty")?.remove();
    row = document.createElement("tr");
    row.dataset.session = session.id;
    rows.prepend(row);
  }
  row.replaceChildren(...fresh);
  row.dataset.state = session.state;
  row.classList.remove("flash");
  void row.offsetWidth; // restart the highlight animation
  row.classList.add("flash");
}

liveSocket(
  root.dataset.socket,
  (message) => {
    if (message.type === "session") upsert(message.session);
  },
  () => {
    root.dataset.live = "1";
  },
);
