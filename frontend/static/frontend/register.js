import { _, api, errorMessage, format, show, stateLabel } from "./api.js";

const form = document.getElementById("register-form");
const errorBox = document.getElementById("form-error");
const birthDate = form.querySelector(".birth-date");
const openBox = document.getElementById("open-sessions");
const openStates = new Set(JSON.parse(document.getElementById("open-states").textContent));
const submitButton = form.querySelector("button[type=submit]");
const chipBox = document.getElementById("chip-box");
const chipButton = document.getElementById("chip-read");
const chipStatus = document.getElementById("chip-status");
const typeInsteadButton = document.getElementById("type-instead");
const typedFields = document.getElementById("typed-fields");
const typedWarning = document.getElementById("typed-warning");
// The phone number whose open sessions the clerk has seen and chose to open another one beside.
let confirmedPhone = null;
// A PRC card's details are read from its chip; the clerk types them only when the chip cannot be
// read (`typing`), and the registration then goes to a supervisor. `unreadableRead` is the chip read
// that found the chip unreadable: the server tells the supervisor so.
let typing = false;
let unreadableRead = null;

function isCard() {
  return form.document_type.value === "prc_id";
}

function layout() {
  show(chipBox, isCard());
  show(typedFields, !isCard() || typing);
  show(typedWarning, isCard() && typing);
  show(typeInsteadButton, isCard() && !typing);
  show(submitButton, !isCard() || typing);
  // A resident ID number carries the birth date; other documents need it typed for the age check.
  show(birthDate, !isCard());
}

function fail(text) {
  errorBox.textContent = text;
  show(errorBox, true);
}

// The field an error code is about: its words show under that field, not above the form.
const CODE_FIELD = {
  full_name: "full_name",
  document_type: "document_type",
  birth_date: "birth_date",
  birth_date_required: "birth_date",
  phone_format: "phone_number",
  phone_not_ascii: "phone_number",
  phone_in_use: "phone_number",
};

function fieldOf(code) {
  if (CODE_FIELD[code]) return CODE_FIELD[code];
  return code.startsWith("id_") && code !== "id_limit_reached" ? "document_number" : null;
}

function clearFieldErrors() {
  for (const box of form.querySelectorAll(".field-error")) box.remove();
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

// Shows `text` under the field `name`; returns false when the form has no such field.
function failAt(name, text) {
  const input = form.elements[name];
  const label = input && input.closest ? input.closest("label") : null;
  if (!label) return false;
  const box = document.createElement("span");
  box.className = "error field-error";
  box.id = `error-${name}`;
  box.setAttribute("role", "alert");
  box.textContent = text;
  label.append(box);
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", box.id);
  return true;
}

function showError(error) {
  if (error.code === "invalid_input" && error.details && typeof error.details === "object") {
    const names = Object.keys(error.details);
    const placed = names.filter((name) => failAt(name, [].concat(error.details[name]).join(" ")));
    if (placed.length) {
      form.elements[placed[0]].focus();
      if (placed.length < names.length) fail(errorMessage(error));
      return;
    }
  }
  const field = fieldOf(error.code);
  if (field && failAt(field, errorMessage(error))) {
    form.elements[field].focus();
    return;
  }
  fail(errorMessage(error));
}

// A name longer than the record holds is refused with its length, never cut without a word.
function nameTooLong() {
  const max = Number(form.full_name.dataset.maxLength);
  const length = [...form.full_name.value.trim()].length;
  if (!max || length <= max) return false;
  failAt("full_name", format(_("The full name has %(length)s characters; at most %(max)s are possible. Shorten it as the document does."), { length, max }));
  form.full_name.focus();
  return true;
}

function phoneQuery(raw) {
  const digits = raw.replace(/[\s()-]/g, "");
  return /^1[3-9][0-9]{9}$/.test(digits) ? `+86${digits}` : digits;
}

// Sessions still open for this number at the outlet: the clerk is warned once before opening another.
// The number goes in the body of a POST, never in the address (addresses are logged).
async function openSessionsFor(phone) {
  const result = await api(`${form.dataset.api}search/`, { method: "POST", json: { phone_number: phoneQuery(phone) } });
  if (!result.ok || !result.data) return [];
  return result.data.results.filter((session) => openStates.has(session.state));
}

function warnAbout(sessions, phone) {
  const list = document.getElementById("open-sessions-list");
  document.getElementById("open-sessions-text").textContent = format(
    _("%(count)s registrations for this number are still open. Continue one of them, or press “Continue” again to open a new one."),
    { count: sessions.length },
  );
  list.replaceChildren(...sessions.map((session) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `${form.dataset.next}${session.id}/`;
    link.textContent = `${session.subscriber_name} · ${stateLabel(session.state)}`;
    item.append(link);
    return item;
  }));
  confirmedPhone = phone;
  show(openBox, true);
}

form.document_type.addEventListener("change", () => layout());

// The phone's open registrations: true when the clerk must look at the warning first.
async function phoneNeedsLook(phone) {
  if (!phone || phone === confirmedPhone) return false;
  const open = await openSessionsFor(phone);
  if (!open.length) return false;
  warnAbout(open, phone);
  return true;
}

function typeInstead() {
  typing = true;
  layout();
  form.full_name.focus();
}

function showChipData(read) {
  document.getElementById("chip-full-name").textContent = read.chip.full_name;
  document.getElementById("chip-number").textContent = read.chip.document_number_masked;
  document.getElementById("chip-birth-date").textContent = read.chip.birth_date;
  show(document.getElementById("chip-data"), true);
  show(document.getElementById("chip-mark"), true);
  show(document.getElementById("chip-intro"), false);
  show(chipButton, false);
  show(typeInsteadButton, false);
  form.document_type.disabled = true;
  form.phone_number.readOnly = true;
  const next = document.getElementById("chip-continue");
  next.href = `${form.dataset.next}${read.session_id}/document/`;
  show(next, true);
  next.focus();
}

// The outlet's reader agent answers the request with the card's signed chip read; the server opens
// the registration from it and the page shows what the chip holds, never as fields to edit.
async function readChip() {
  show(errorBox, false);
  const phone = form.phone_number.value.trim();
  if (!phone) {
    fail(_("Type the customer's mobile number first."));
    form.phone_number.focus();
    return;
  }
  chipButton.disabled = true;
  const looked = await phoneNeedsLook(phone);
  if (looked) {
    chipButton.disabled = false;
    return;
  }
  chipStatus.textContent = _("Place the card on the reader…");
  const opened = await api(form.dataset.chipApi, { method: "POST", json: { phone_number: phone } });
  const answer = opened.ok ? await chipAnswer(opened.data) : null;
  chipButton.disabled = false;
  chipStatus.textContent = "";
  if (!opened.ok) {
    fail(errorMessage(opened.error));
  } else if (!answer) {
    fail(_("No answer from the card reader: check that it is connected, then try again."));
  } else if (answer.outcome === "registered") {
    showChipData(answer);
  } else if (answer.outcome === "chip_unreadable") {
    unreadableRead = answer.id;
    typeInstead();
    fail(_("The card's chip could not be read: type the card's details; a supervisor will check this registration."));
  } else {
    fail(errorMessage(answer));
  }
}

async function chipAnswer(request) {
  const expires = Date.parse(request.expires_at);
  while (Date.now() < expires) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await api(`${form.dataset.chipApi}${request.id}/`);
    if (now.ok && now.data.outcome) return now.data;
  }
  return null;
}

chipButton.addEventListener("click", () => readChip());
typeInsteadButton.addEventListener("click", () => typeInstead());
layout();

form.phone_number.addEventListener("input", () => {
  confirmedPhone = null;
  show(openBox, false);
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (isCard() && !typing) {
    readChip();  // Enter in the phone field: the card's chip is the way on
    return;
  }
  show(errorBox, false);
  clearFieldErrors();
  if (nameTooLong()) return;
  submitButton.disabled = true;
  const looked = await phoneNeedsLook(form.phone_number.value.trim());
  submitButton.disabled = false;
  if (looked) return;
  const payload = {
    full_name: form.full_name.value,
    document_type: form.document_type.value,
    document_number: form.document_number.value,
    phone_number: form.phone_number.value,
  };
  if (!isCard() && form.birth_date.value) payload.birth_date = form.birth_date.value;
  if (isCard() && unreadableRead) payload.chip_registration = unreadableRead;
  submitButton.disabled = true;
  const result = await api(form.dataset.api, { method: "POST", json: payload });
  submitButton.disabled = false;
  if (result.ok) {
    window.location.assign(`${form.dataset.next}${result.data.id}/document/`);
    return;
  }
  showError(result.error);
});
