// The phone page (keys, overrides, credentials), a template's editor with
// its preview, and the firmware page, in Debian's Chromium at a desktop
// size and a phone's: does anything stick out sideways, is the preview
// shown, and a screenshot of each for a person to look at.
//
// The page of a phone with no keys the PBX writes (EDGEPBX_KEYLESS_MAC):
// does it still offer a keys form, and what does it say instead.
//
// Input (environment): EDGEPBX_URL, EDGEPBX_SESSION, EDGEPBX_SCREENSHOTS,
// EDGEPBX_MAC, EDGEPBX_KEYLESS_MAC. Output: one JSON object on stdout.
import { join } from "node:path";
import { baseUrl, required, runDriver, signedInPage } from "./chromium.mjs";

async function sideways(page) {
  return page.evaluate(
    () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
  );
}

runDriver(async (context) => {
  const base = baseUrl();
  const shots = required("EDGEPBX_SCREENSHOTS");
  const mac = required("EDGEPBX_MAC");
  const keyless = required("EDGEPBX_KEYLESS_MAC");
  const page = await signedInPage(context);
  const seen = {};
  for (const [width, height, size] of [
    [1280, 900, "wide"],
    [390, 844, "narrow"],
  ]) {
    await page.setViewportSize({ width, height });
    await page.goto(`${base}/phones/${mac}`);
    await page.screenshot({ path: join(shots, `phone-${size}.png`), fullPage: true });
    seen[`phone-${size}`] = { sideways: await sideways(page) };

    await page.goto(`${base}/phones/templates/yealink/T54W/mac`);
    await page.fill("#body", "{{ built_in }}custom.note = {{ phone.model }}\n");
    await page.click('button[value="preview"]');
    await page.waitForSelector("#preview");
    await page.screenshot({ path: join(shots, `template-${size}.png`), fullPage: true });
    seen[`template-${size}`] = {
      sideways: await sideways(page),
      preview: await page.textContent("#preview"),
    };

    await page.goto(`${base}/phones/firmware`);
    await page.screenshot({ path: join(shots, `firmware-${size}.png`), fullPage: true });
    seen[`firmware-${size}`] = { sideways: await sideways(page) };
  }

  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${base}/phones/${keyless}`);
  await page.screenshot({ path: join(shots, "keyless-phone.png"), fullPage: true });
  const noKeys = page.locator("#no-keys");
  seen.keyless = {
    sideways: await sideways(page),
    keysForms: await page.locator('form[action$="/keys"]').count(),
    overridesForms: await page.locator('form[action$="/overrides"]').count(),
    saying: (await noKeys.count()) ? await noKeys.innerText() : null,
  };
  return seen;
});
