// A user plays a voicemail message in the user portal, in Debian's
// Chromium: the message is listed as new, its <audio> element loads the
// recording and plays (its clock advances, no media error), and once the
// page is opened again the message is listed as heard.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION (the user's session
// cookie), EDGEPBX_MESSAGE (the message's id). Output: one JSON object on
// stdout. tests/test_web_portal_voicemail.py runs it.
import { baseUrl, required, runDriver, signedInPage } from "./chromium.mjs";

// Long enough to see the clock move past the first packets of audio, short
// enough to stay inside a message of a few seconds.
const PLAYED_S = 1.0;

runDriver(async (context) => {
  const base = baseUrl();
  const message = required("EDGEPBX_MESSAGE");
  const page = await signedInPage(context);
  const consoleErrors = [];
  page.on("console", (entry) => {
    if (entry.type() === "error") {
      consoleErrors.push(entry.text());
    }
  });

  // Step 1: the message is listed as new, with its player.
  await page.goto(`${base}/portal/voicemail`);
  const audio = `audio[src="/portal/voicemail/${message}/audio"]`;
  const row = page.locator("#messages tr", { has: page.locator(audio) });
  const before = { text: await row.textContent(), className: await row.getAttribute("class") };

  // Step 2: a click on the player (a person's gesture, so the browser lets
  // it play with sound), then play it.
  await page.click(audio);
  const played = await page.$eval(
    audio,
    async (element, seconds) => {
      const failed = () => (element.error ? element.error.code : null);
      await element.play();
      const deadline = Date.now() + 10000;
      while (element.currentTime < seconds && !element.error && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return {
        currentTime: element.currentTime,
        duration: element.duration,
        readyState: element.readyState,
        error: failed(),
        paused: element.paused,
      };
    },
    PLAYED_S,
  );

  // Step 3: opened again, the message is listed as heard.
  await page.reload();
  const after = {
    text: await row.textContent(),
    className: await row.getAttribute("class"),
  };
  return { before, played, after, consoleErrors };
});
