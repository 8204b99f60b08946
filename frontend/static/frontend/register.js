import { _, api, errorMessage, show } from "./api.js";

const form = document.getElementById("register-form");
const errorBox = document.getElementById("form-error");
const birthDate = form.querySelector(".birth-date");

form.document_type.addEventListener("change", () => {
  // A resident ID number carries the birth date; other documents need it typed for the age check.
  show(birthDate, form.document_type.value !== "prc_id");
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  show(errorBox, false);
  const payload = {
    full_name: form.full_name.value,
    document_type: form.document_type.value,
    document_number: form.document_number.value,
    phone_number: form.phone_number.value,
  };
  if (form.document_type.value !== "prc_id" && form.birth_date.value) payload.birth_date = form.birth_date.value;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  const result = await api(form.dataset.api, { method: "POST", json: payload });
  button.disabled = false;
  if (result.ok) {
    window.location.assign(`${form.dataset.next}${result.data.id}/consent/`);
    return;
  }
  const fieldErrors = result.error.code === "invalid_input" ? Object.keys(result.error.details || {}) : [];
  errorBox.textContent = fieldErrors.length
    ? `${_("Please check these fields:")} ${fieldErrors.map((name) => form.elements[name]?.closest("label")?.firstChild.textContent.trim() || name).join(", ")}`
    : errorMessage(result.error);
  show(errorBox, true);
});
