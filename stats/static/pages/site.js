// conflictdata's pages work without this script; it adds copy buttons and tidies the filters' address.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Copy buttons: shown only where the browser can copy.
  if (navigator.clipboard) {
    for (const button of document.querySelectorAll("button.copy[data-copy]")) {
      button.hidden = false;
      const label = button.textContent;
      button.addEventListener("click", async () => {
        const target = document.getElementById(button.dataset.copy);
        try {
          await navigator.clipboard.writeText(target.textContent.trim());
          button.textContent = "Copied";
        } catch (error) {
          button.textContent = "Select the text and copy it";
        }
        setTimeout(() => { button.textContent = label; }, 2500);
      });
    }
  }

  // Filters: the address in the API's own spelling (claimed_by=a,b), without empty or default choices.
  for (const form of document.querySelectorAll("form.filters")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const query = new URLSearchParams();
      const boxes = [...form.querySelectorAll("input[name=claimed_by]")];
      const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
      if (chosen.length && chosen.length < boxes.length) query.set("claimed_by", chosen.join(","));
      for (const input of form.querySelectorAll("input:not([name=claimed_by])")) {
        if ((input.type === "radio" || input.type === "checkbox") && !input.checked) continue;
        if (input.value) query.set(input.name, input.value);
      }
      const address = form.action + (query.toString() ? "?" + query.toString().replaceAll("%2C", ",") : "");
      window.location.assign(address);
    });
  }
});
