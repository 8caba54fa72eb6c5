// edgepbx web admin: small enhancements; every page works without them.
"use strict";

// Ask before a form marked data-confirm (deleting) is sent.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A copy button next to a secret that is shown once.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) {
    continue;
  }
  button.hidden = false;
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = "Copied";
  });
}

// A scheduled backup's day is for a weekly schedule alone: cleared when the
// schedule turns daily or off, the stored day back when it turns weekly.
const frequency = document.getElementById("frequency");
const weekday = document.getElementById("weekday");
if (frequency && weekday && "weeklyDay" in weekday.dataset) {
  frequency.addEventListener("change", () => {
    const weekly = frequency.value === "weekly";
    weekday.value = weekly ? weekday.value || weekday.dataset.weeklyDay : "";
  });
}
