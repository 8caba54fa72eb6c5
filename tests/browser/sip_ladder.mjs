// A SIP ladder of a capture in Debian's Chromium: the messages' full texts
// start hidden, and choosing an arrow of the ladder shows that message's
// text, without script.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION, EDGEPBX_PATH (the flow
// page), EDGEPBX_SCREENSHOTS. Output: one JSON object on stdout.
import { join } from "node:path";
import { baseUrl, required, runDriver, signedInPage } from "./chromium.mjs";

runDriver(async (context) => {
  const base = baseUrl();
  const page = await signedInPage(context);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${base}${required("EDGEPBX_PATH")}`);
  const last = (await page.locator("svg.ladder a.message").count()) - 1;
  const before = await page.isVisible(`#message-${last} pre`);
  await page.locator("svg.ladder a.message").nth(last).click();
  await page.waitForSelector(`#message-${last} pre`, { state: "visible" });
  await page.screenshot({
    path: join(required("EDGEPBX_SCREENSHOTS"), "ladder.png"),
    fullPage: true,
  });
  return {
    arrows: last + 1,
    hidden_before: !before,
    shown: await page.textContent(`#message-${last} pre`),
    first_hidden: !(await page.isVisible("#message-0 pre")),
  };
});
