import { liveSocket, stateLabel } from "./api.js";

const root = document.getElementById("dashboard");
const rows = document.getElementById("dashboard-rows");

function cell(text, className) {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

function stateCell(state) {
  const td = document.createElement("td");
  const badge = document.createElement("span");
  badge.className = `state state-${state}`;
  badge.textContent = stateLabel(state);
  td.append(badge);
  return td;
}

function upsert(session) {
  let row = rows.querySelector(`tr[data-session="${session.id}"]`);
  const created = new Date(session.created_at);
  const time = `${String(created.getHours()).padStart(2, "0")}:${String(created.getMinutes()).padStart(2, "0")}`;
  const fresh = [cell(time), cell(session.subscriber_name), cell(session.phone_number),
    cell(String(session.attempt_count), "attempts"), stateCell(session.state)];
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
