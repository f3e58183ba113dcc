"""What the browser tests share: headless Chromium through Selenium, the axe-core (WCAG 2.1
AA) check and the browser-console check, and the list of failures each script reports.

axe-core itself is the `axe.min.js` (4.12) that PyPI's `axe-playwright-python` 0.1.8 ships,
installed with `--no-deps` and read as a file: only the script is used, not Playwright.
`axe-selenium-python` bundles axe-core 3.1, which predates WCAG 2.1 rules and HTML's
`autocomplete="one-time-code"`."""
import importlib.util
import os
import sys
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

failures = []

_axe_package = importlib.util.find_spec("axe_playwright_python")
if _axe_package is None:
    sys.exit("axe-core is missing: pip install --no-deps axe-playwright-python==0.1.8")
with open(os.path.join(_axe_package.submodule_search_locations[0], "axe.min.js"), encoding="utf-8") as _f:
    AXE_SOURCE = _f.read()


def fail(message):
    failures.append(message)
    print("FAIL", message, flush=True)


def browser(width, height, javascript=True):
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--hide-scrollbars", "--force-device-scale-factor=1", "--lang=vi-VN",
                     f"--window-size={width},{height}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # A Vietnamese phone asks for Vietnamese first.
    prefs = {"intl.accept_languages": "vi-VN,vi,en-US,en"}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    # A desktop window is at least 500 px wide: phones are emulated at their own width.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 768})
    return driver


def check_console(driver, page):
    for entry in driver.get_log("browser"):
        if "Content Security Policy" in entry.get("message", "") or entry.get("level") == "SEVERE":
            fail(f"{page}: browser console: {entry['message']}")


def check_axe(driver, page):
    driver.execute_script(AXE_SOURCE)
    driver.set_script_timeout(120)
    results = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})"
        ".then(function (r) { done(r); }, function (e) { done({error: String(e)}); });")
    if "error" in results:
        fail(f"{page}: axe-core could not run: {results['error']}")
        return
    for violation in results["violations"]:
        if violation.get("impact") in ("serious", "critical"):
            targets = ", ".join(str(node.get("target")) for node in violation["nodes"][:3])
            fail(f"{page}: axe {violation['impact']} {violation['id']}: {violation['help']} ({targets})")


def finish(shots):
    print(f"{len(failures)} failure(s); screenshots in {shots}")
    sys.exit(1 if failures else 0)
