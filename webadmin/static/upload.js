// edgepbx web admin: a progress bar on every file upload.
//
// Any form sent as multipart/form-data is sent here with XMLHttpRequest so
// the page can show how much of the file has gone: a <progress> with the
// percentage and the bytes, the submit button disabled meanwhile. The
// server's answer is then followed as the plain form would follow it: a
// redirect opens the page it names (with its notice), any other answer (the
// form again with the field's error) replaces the page. Without this script
// the same forms post as they always did.
"use strict";

(() => {
  const MULTIPART = "multipart/form-data";
  // Bytes are shown in the unit a person reads at a glance.
  const UNITS = [
    [1024 * 1024, "MB"],
    [1024, "KB"],
  ];

  function size(bytes) {
    for (const [unit, name] of UNITS) {
      if (bytes >= unit) {
        return `${(bytes / unit).toFixed(1)} ${name}`;
      }
    }
    return `${bytes} bytes`;
  }

  // The <progress> and its text, made once per form, under its submit button.
  function progressFor(form) {
    let box = form.querySelector(".upload-progress");
    if (!box) {
      box = document.createElement("div");
      box.className = "upload-progress";
      box.innerHTML =
        '<progress max="100" value="0"></progress> <output aria-live="polite"></output>';
      form.append(box);
    }
    box.hidden = false;
    return {
      bar: box.querySelector("progress"),
      text: box.querySelector("output"),
    };
  }

  function show(progress, sent, total) {
    const percent = total > 0 ? Math.floor((sent * 100) / total) : 0;
    progress.bar.value = percent;
    progress.text.textContent = `${percent} % · ${size(sent)} of ${size(total)}`;
  }

  // Replace the page with an HTML answer, as the browser would show it.
  function showAnswer(request) {
    const type = request.getResponseHeader("Content-Type") || "";
    if (type.startsWith("text/html")) {
      const answer = new DOMParser().parseFromString(request.responseText, "text/html");
      document.title = answer.title;
      document.body.replaceWith(document.adoptNode(answer.body));
    } else {
      const text = document.createElement("pre");
      text.textContent = request.responseText;
      document.body.replaceChildren(text);
    }
    window.scrollTo(0, 0);
  }

  function send(form, submitter) {
    const buttons = form.querySelectorAll("button, input[type=submit]");
    const progress = progressFor(form);
    const request = new XMLHttpRequest();
    request.open(form.method || "post", form.action);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        show(progress, event.loaded, event.total);
      }
    });
    request.upload.addEventListener("load", () => {
      progress.bar.value = 100;
    });
    request.addEventListener("load", () => {
      // XMLHttpRequest follows a redirect itself: the answer then comes
      // from another address than the form's, and the browser goes there.
      // It does not tell the redirect's #fragment, so the page opens at
      // its top rather than at the fragment the plain form would scroll to.
      if (request.responseURL && request.responseURL !== form.action) {
        window.location.assign(request.responseURL);
        return;
      }
      showAnswer(request);
    });
    request.addEventListener("error", () => {
      // The server closed the connection before the file was sent, as it
      // does for a body larger than the route takes.
      progress.text.textContent =
        "The upload failed: the connection was closed before the file was sent.";
      for (const button of buttons) {
        button.disabled = false;
      }
    });
    for (const button of buttons) {
      button.disabled = true;
    }
    show(progress, 0, 0);
    request.send(new FormData(form, submitter));
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (
      event.defaultPrevented ||
      !(form instanceof HTMLFormElement) ||
      form.enctype !== MULTIPART ||
      !window.FormData ||
      !window.DOMParser
    ) {
      return;
    }
    event.preventDefault();
    send(form, event.submitter);
  });
})();
