// The story screen's sources table, in the browser; the server checks and does the same.
//
// Key points may cite sources added in the same, unsaved story form. Each new row of the
// sources table is offered to every key point at once, as "[n] New: <its title or URL>",
// numbered as readers will see it. The server takes "new-<row index>" and writes the
// citation once the source is saved (stories.forms.KeyPointInlineForm).
"use strict";

(function () {
  const NEW = "new-";
  let tokens = 0;

  function newSourceRows() {
    const rows = document.querySelectorAll("#sources-group tr.form-row[id^='sources-']");
    return Array.from(rows).filter(
      (row) => !row.classList.contains("has_original") && !row.classList.contains("empty-form"),
    );
  }

  function named(row) {
    const value = (suffix) => (row.querySelector(`[name$='-${suffix}']`) || {}).value || "";
    return value("title").trim() || value("url").trim() || "(no URL yet)";
  }

  function offer(widget, row, number) {
    // A row keeps its token when rows before it are removed and it is renumbered.
    row.dataset.citeToken = row.dataset.citeToken || String(++tokens);
    const index = row.id.replace("sources-", "");
    const name = widget.id.replace(/^id_/, "");
    let input = widget.querySelector(`input[data-cite-token='${row.dataset.citeToken}']`);
    if (!input) {
      const wrapper = document.createElement("div");
      const label = document.createElement("label");
      input = document.createElement("input");
      input.type = "checkbox";
      input.name = name;
      input.dataset.citeToken = row.dataset.citeToken;
      input.id = `${widget.id}_new_${row.dataset.citeToken}`;
      label.htmlFor = input.id;
      label.append(input, document.createTextNode(""));
      wrapper.append(label);
      widget.append(wrapper);
    }
    input.value = NEW + index;
    input.parentElement.lastChild.textContent = ` [${number}] New: ${named(row)}`;
  }

  function sync() {
    const saved = document.querySelectorAll("#sources-group tr.has_original").length;
    const rows = newSourceRows();
    const widgets = document.querySelectorAll("[id^='id_key_points-'][id$='-citations']");
    for (const widget of widgets) {
      rows.forEach((row, n) => offer(widget, row, saved + n + 1));
      const live = new Set(rows.map((row) => row.dataset.citeToken));
      for (const input of widget.querySelectorAll("input[data-cite-token]")) {
        if (!live.has(input.dataset.citeToken)) {
          input.closest("div").remove(); // its source row was removed
        }
      }
    }
  }

  // A pasted article URL on a known outlet's site chooses that outlet (the option's
  // data-site: stories.forms.OutletSelect), unless the editor chose one or named a new one.
  function siteOf(url) {
    try {
      return new URL(url.trim()).hostname.toLowerCase().replace(/^www\./, "");
    } catch {
      return "";
    }
  }

  function chooseOutlet(urlInput) {
    const row = urlInput.closest("tr");
    const select = row && row.querySelector("select[name$='-outlet']");
    const newOutlet = row && row.querySelector("[name$='-new_outlet']");
    if (!select || (select.value && select.dataset.chosenBySite !== select.value)) return;
    if (newOutlet && newOutlet.value.trim()) return;
    const host = siteOf(urlInput.value);
    const matches = Array.from(select.options).filter((option) => {
      const site = option.dataset.site;
      return site && host && (host === site || host.endsWith("." + site));
    });
    const longest = Math.max(0, ...matches.map((option) => option.dataset.site.length));
    const best = matches.filter((option) => option.dataset.site.length === longest);
    select.value = best.length === 1 ? best[0].value : "";
    select.dataset.chosenBySite = select.value;
  }

  document.addEventListener("input", (event) => {
    if (event.target.matches && event.target.matches("#sources-group [name$='-url']")) {
      chooseOutlet(event.target);
    }
  });
  // select2 (the admin's autocomplete) shows a combobox named by its current value only:
  // give it the name of the field it stands for (its <label>).
  function nameComboboxes() {
    for (const select of document.querySelectorAll("select.admin-autocomplete")) {
      const label = document.querySelector(`label[for='${select.id}']`);
      const name = label && label.textContent.replace(/:\s*$/, "").trim();
      const parts = select.parentElement.querySelectorAll(
        ".select2-selection[role='combobox'], .select2-selection__rendered[role='textbox']",
      );
      for (const part of parts) {
        if (name && !part.hasAttribute("aria-label")) part.setAttribute("aria-label", name);
      }
    }
  }
  // select2 starts when jQuery is ready, and again for each inline row added: name its
  // boxes whenever new ones appear.
  document.addEventListener("DOMContentLoaded", () => {
    nameComboboxes();
    new MutationObserver(nameComboboxes).observe(document.body, {
      childList: true,
      subtree: true,
    });
  });

  // The live preview: the story form posted as the preview button posts it (saved in a
  // transaction that is rolled back: stories.admin.StoryAdmin.raise_for_preview), shown
  // beside the form, a moment after the editor stops typing. Files are left out: an
  // image is previewed once the form is saved or previewed with the button.
  function livePreview() {
    const aside = document.getElementById("live-preview");
    const toggle = document.getElementById("live-preview-toggle");
    const form = document.getElementById("story_form");
    if (!aside || !toggle || !form) return;
    const frame = aside.querySelector("iframe");
    const status = aside.querySelector(".live-preview__status");
    const share = aside.querySelector(".live-preview__share");
    let timer = null;
    let running = false;
    let again = false;

    function problems(html) {
      const page = new DOMParser().parseFromString(html, "text/html");
      const found = [];
      for (const item of page.querySelectorAll(".errorlist li")) {
        const label = item.closest(".form-row")?.querySelector("label");
        const field = label ? label.textContent.replace(/:\s*$/, "").trim() + ": " : "";
        found.push(field + item.textContent.trim());
      }
      return found.join(" ") || "the form has errors.";
    }

    async function refresh() {
      if (running) {
        again = true;
        return;
      }
      running = true;
      const data = new FormData(form);
      for (const input of form.querySelectorAll("input[type='file']")) data.delete(input.name);
      data.delete("_workflow");
      data.set("_preview", "1");
      status.textContent = "Updating…";
      try {
        const response = await fetch(form.action || window.location.href, {
          method: "POST",
          body: data,
          credentials: "same-origin",
        });
        const html = await response.text();
        if (response.headers.get("X-Newsroom-Preview") === "page") {
          frame.srcdoc = html;
          status.textContent = "As readers will see it. Nothing is saved.";
          const address = response.headers.get("X-Newsroom-Preview-Address");
          if (address) {
            share.querySelector("a").href = address;
            share.querySelector("a").textContent = address;
            share.hidden = false;
          }
        } else {
          status.textContent = "Shown again once this is fixed: " + problems(html);
        }
      } catch {
        status.textContent = "The preview could not be updated; it will try again.";
      }
      running = false;
      if (again) {
        again = false;
        refresh();
      }
    }

    function soon() {
      if (aside.hidden) return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 600);
    }

    toggle.addEventListener("click", () => {
      const showing = aside.hidden;
      aside.hidden = !showing;
      document.body.classList.toggle("live-previewing", showing);
      toggle.setAttribute("aria-pressed", String(showing));
      if (showing) refresh();
    });
    form.addEventListener("input", soon);
    form.addEventListener("change", soon);
  }
  document.addEventListener("DOMContentLoaded", livePreview);

  // A timeline added or edited from the story screen (the timeline field's popup) may cite
  // the story's sources at once, saved or not: the sources table, row by row, goes into the
  // popup's address (timelines.admin.OfferedSources).
  function offerSourcesTo(link) {
    const href = new URL(link.href, window.location.href);
    for (const name of ["source", "source_title", "source_outlet"]) href.searchParams.delete(name);
    const rows = document.querySelectorAll("#sources-group tr.form-row[id^='sources-']");
    for (const row of rows) {
      if (row.classList.contains("empty-form")) continue;
      const removed = row.querySelector("input[name$='-DELETE']");
      if (removed && removed.checked) continue;
      const value = (suffix) => (row.querySelector(`[name$='-${suffix}']`) || {}).value || "";
      const select = row.querySelector("select[name$='-outlet']");
      const chosen = select && select.value ? select.selectedOptions[0].textContent : "";
      href.searchParams.append("source", value("url").trim());
      href.searchParams.append("source_title", value("title").trim());
      href.searchParams.append("source_outlet", value("new_outlet").trim() || chosen.trim());
    }
    link.href = href.toString();
  }
  // Before the admin's own handler (RelatedObjectLookups) opens the popup from link.href.
  document.addEventListener(
    "click",
    (event) => {
      const link = event.target.closest && event.target.closest("#add_id_timeline, #change_id_timeline");
      if (link && document.getElementById("sources-group")) offerSourcesTo(link);
    },
    true,
  );

  document.addEventListener("formset:added", sync);
  // Sent before the admin renumbers the rows that follow the removed one: sync after it.
  document.addEventListener("formset:removed", () => setTimeout(sync));
  document.addEventListener("input", (event) => {
    if (event.target.closest && event.target.closest("#sources-group")) sync();
  });
  document.addEventListener("DOMContentLoaded", sync);
})();
