// A file upload with its progress bar, in Debian's Chromium: on the IVR page
// an administrator uploads a prompt of several megabytes (the bar fills to
// 100 % with the bytes sent, the button is disabled meanwhile, then the
// page the server redirects to shows its notice), then a file that is not
// audio (the page shows the refusal beside the file field).
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION, EDGEPBX_AUDIO (a WAV
// file), EDGEPBX_JUNK (a file that is not audio). Output: one JSON object on
// stdout. tests/test_web_upload_progress.py runs it.
import { baseUrl, required, runDriver, signedInPage } from "./chromium.mjs";

// Every value the page's <progress> takes, with its text and whether the
// form's button was disabled then; reported to Node, which outlives pages.
async function watchProgress(page) {
  await page.evaluate(() => {
    const observer = new MutationObserver(() => {
      const bar = document.querySelector(".upload-progress progress");
      if (!bar) {
        return;
      }
      const form = bar.closest("form");
      window.edgepbxProgress({
        value: bar.value,
        text: form.querySelector(".upload-progress output").textContent,
        disabled: form.querySelector("button[type=submit]").disabled,
      });
    });
    observer.observe(document.documentElement, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  });
}

async function upload(page, file) {
  await page.fill("#prompt_name", "welcome");
  await page.setInputFiles("#prompt_file", file);
  await watchProgress(page);
  await page.click("#prompts button[type=submit]");
}

runDriver(async (context) => {
  const base = baseUrl();
  const page = await signedInPage(context);
  const consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() === "error") {
      consoleErrors.push(message.text());
    }
  });
  let seen = [];
  await page.exposeFunction("edgepbxProgress", (state) => seen.push(state));

  // Step 1: a real recording of several megabytes.
  await page.goto(`${base}/ivr`);
  await upload(page, required("EDGEPBX_AUDIO"));
  await page.waitForURL("**/ivr?notice=prompt-saved**");
  const saved = {
    progress: seen,
    url: page.url(),
    notice: await page.textContent("p.notice"),
    listed: await page.textContent("#prompt-list"),
  };

  // Step 2: a file that is not audio.
  seen = [];
  await upload(page, required("EDGEPBX_JUNK"));
  await page.waitForSelector("#prompt_file-error");
  const refused = {
    progress: seen,
    error: await page.textContent("#prompt_file-error"),
    title: await page.title(),
    listed: await page.textContent("#prompt-list"),
  };
  return { saved, refused, consoleErrors };
});
