// Copy-link buttons beside section headings: shown only where the clipboard API exists,
// so readers without it keep the plain "#" link.
"use strict";

if (navigator.clipboard && window.isSecureContext) {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const url = new URL(button.dataset.copy, location.href).href;
      const announce = document.getElementById("announce");
      try {
        await navigator.clipboard.writeText(url);
        button.textContent = "Copied";
      } catch {
        button.textContent = "Copy failed";
      }
      // The button's own text is not read out when it changes; the live region is.
      if (announce) announce.textContent = button.textContent === "Copied"
        ? `Link copied: ${url}` : "The link could not be copied";
      setTimeout(() => { button.textContent = "Copy link"; }, 2000);
    });
  }
}
