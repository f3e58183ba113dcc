#!/usr/bin/env python3
"""The citizen pages in a real browser (headless Chromium through Selenium).

Run by the Swift test BrowserTests against a running `feepay serve`. It reads a JSON plan on
stdin: the base URL, an open invoice's page, a paid invoice's page and receipt page, and a
pre-signed bank callback for a third invoice whose page must turn "Đã thanh toán" without a
reload. It checks, at 360, 412 and 1280 px: the whole QR code visible (at least 240 px, with
its quiet zone; above the details on a phone, beside them on a desktop), the QR decoded by
zbar from the screenshot, no serious or critical axe-core (WCAG 2.1 AA) violation, no
Content Security Policy violation, and the page working without JavaScript. Screenshots are
written to the folder the plan names. Exits 1 with one line per failure.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chromium import browser, check_axe, check_console, fail, finish  # noqa: E402

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

plan = json.load(sys.stdin)
base = plan["base_url"]
shots = plan["screenshots"]
os.makedirs(shots, exist_ok=True)


def decode(png_path):
    result = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", png_path], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def check_open_page(width, height):
    driver = browser(width, height)
    try:
        driver.get(base + plan["open_page"])
        name = f"pay-open-{width}"
        inner = driver.execute_script("return window.innerWidth")
        if inner != width:
            fail(f"{name}: the browser is {inner} px wide, not {width}")
        qr = driver.find_element(By.CSS_SELECTOR, ".qr svg")
        box = driver.execute_script(
            "var r = arguments[0].getBoundingClientRect();"
            "var d = document.querySelector('.details').getBoundingClientRect();"
            "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width,"
            " viewport: window.innerWidth, viewportHeight: window.innerHeight, detailsTop: d.top, detailsLeft: d.left,"
            " scrollWidth: document.documentElement.scrollWidth};", qr)
        if box["width"] < 240:
            fail(f"{name}: the QR code is {box['width']:.0f} px wide, less than 240")
        if box["left"] < 0 or box["right"] > box["viewport"] or box["bottom"] > box["viewportHeight"]:
            fail(f"{name}: the QR code is not wholly visible on the first screen: {box}")
        if box["scrollWidth"] > box["viewport"]:
            fail(f"{name}: the page scrolls sideways ({box['scrollWidth']} > {box['viewport']} px)")
        if width < 768 and box["detailsTop"] < box["bottom"]:
            fail(f"{name}: on a phone the QR code must stand above the details: {box}")
        if width >= 1024 and not (box["detailsLeft"] >= box["right"] - 1 and box["detailsTop"] < box["bottom"]):
            fail(f"{name}: on a desktop the QR code must stand beside the details: {box}")
        path = os.path.join(shots, name + ".png")
        driver.save_screenshot(path)
        decoded = decode(path)
        if decoded != plan["open_vietqr"]:
            fail(f"{name}: zbar read {decoded!r} from the screenshot, not the invoice's VietQR payload")
        # The copy buttons appear with JavaScript and copy what they show.
        buttons = driver.find_elements(By.CSS_SELECTOR, "button[data-copy]")
        if len(buttons) != 3 or not all(b.is_displayed() for b in buttons):
            fail(f"{name}: expected three visible copy buttons, found {len(buttons)}")
        download = driver.find_element(By.CSS_SELECTOR, "a[download]")
        if not download.get_attribute("href").endswith("/qr.png"):
            fail(f"{name}: the download link does not point at the QR file")
        check_axe(driver, name)
        check_console(driver, name)
    finally:
        driver.quit()


def check_without_javascript():
    driver = browser(360, 800, javascript=False)
    try:
        driver.get(base + plan["open_page"])
        text = driver.find_element(By.TAG_NAME, "main").text.replace("\u00a0", " ")
        for fact in plan["open_facts"]:
            if fact.replace("\u00a0", " ") not in text:
                fail(f"no-js: the page lacks {fact!r}")
        if any(b.is_displayed() for b in driver.find_elements(By.CSS_SELECTOR, "button[data-copy]")):
            fail("no-js: copy buttons are shown although they cannot work")
        path = os.path.join(shots, "pay-open-nojs-360.png")
        driver.save_screenshot(path)
        if decode(path) != plan["open_vietqr"]:
            fail("no-js: the QR code does not decode from the screenshot")
    finally:
        driver.quit()


def check_paid_and_receipt():
    driver = browser(412, 915)
    try:
        driver.get(base + plan["paid_page"])
        status = driver.find_element(By.ID, "status").text
        if status != "Đã thanh toán":
            fail(f"paid page: status is {status!r}")
        link = driver.find_element(By.CSS_SELECTOR, "#receipt-link a")
        if driver.find_elements(By.CSS_SELECTOR, ".qr svg"):
            fail("paid page: a paid invoice still shows a QR code")
        driver.save_screenshot(os.path.join(shots, "pay-paid-412.png"))
        check_axe(driver, "pay-paid-412")
        check_console(driver, "pay-paid-412")
        link.click()
        WebDriverWait(driver, 10).until(lambda d: "/receipts/" in d.current_url)
        body = driver.find_element(By.TAG_NAME, "main").text.replace("\u00a0", " ")
        for fact in plan["receipt_facts"]:
            if fact not in body:
                fail(f"receipt page: lacks {fact!r}")
        driver.save_screenshot(os.path.join(shots, "receipt-412.png"))
        check_axe(driver, "receipt-412")
        check_console(driver, "receipt-412")
        driver.get(base + plan["receipt_page"] + "?lang=en")
        if "FEE AND CHARGE RECEIPT" not in driver.find_element(By.TAG_NAME, "h1").text:
            fail("receipt page in English: no English title")
        check_axe(driver, "receipt-en")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        driver.get(base + plan["receipt_page"])
        driver.save_screenshot(os.path.join(shots, "receipt-1280.png"))
        driver.get(base + "/receipts/nosuchlookup00000")
        check_axe(driver, "receipt-not-found")
    finally:
        driver.quit()


def check_live_status():
    driver = browser(360, 800)
    try:
        driver.get(base + plan["live_page"])
        if driver.find_element(By.ID, "status").text != "Chờ thanh toán":
            fail("live page: not awaiting payment before the callback")
        callback = plan["live_callback"]
        request = urllib.request.Request(base + callback["path"], data=callback["body"].encode(), method="POST",
                                         headers=callback["headers"])
        with urllib.request.urlopen(request, timeout=10) as response:
            if json.load(response).get("status") != "accepted":
                fail("live page: the bank's callback was not accepted")
        before = driver.execute_script("return performance.getEntriesByType('navigation').length")
        try:
            WebDriverWait(driver, 30).until(
                lambda d: d.find_element(By.ID, "status").text == "Đã thanh toán"
                and d.find_elements(By.CSS_SELECTOR, "#receipt-link a"))
        except Exception:
            fail(f"live page: did not turn paid with a receipt link within 30 s "
                 f"(status {driver.find_element(By.ID, 'status').text!r})")
        marker = driver.execute_script("return document.getElementById('payable')")
        if marker is not None:
            fail("live page: the payment details are still shown after the payment")
        if driver.execute_script("return performance.getEntriesByType('navigation').length") != before:
            fail("live page: the page reloaded")
        driver.save_screenshot(os.path.join(shots, "pay-live-paid-360.png"))
        check_console(driver, "pay-live")
    finally:
        driver.quit()


for width, height in ((360, 740), (412, 915), (1280, 900)):
    check_open_page(width, height)
check_without_javascript()
check_paid_and_receipt()
check_live_status()
finish(shots)
