#!/usr/bin/env python3
"""An accountant's whole day in the console, in a real browser (headless Chromium).

Run by the Swift test BrowserTests.consoleInChromium against a running `feepay serve`. It
reads a JSON plan on stdin: the base URL, the enrolment links `feepay staff add` printed for
two accountants and an auditor, a bank statement file, its bank and day, the payment code of the
open invoice the statement's unknown money pays, and the exception kinds the statement must
raise. It:

* enrols each person from their link (password, then a code from the authenticator secret the
  page shows, computed with pyotp) and signs them in with a fresh code;
* uploads the statement through the form (the script's progress path), and reads the summary;
* resolves every open exception of the day on its own page: the unknown money applied to the
  invoice found by its payment code, the others with the action that fits; what moves money
  out of suspense is only proposed (the proposer gets no approve button), and the second
  accountant approves each proposal on its page, which then names both;
* checks that the auditor sees exceptions without a form and reads the audit log, which
  names the accountant;
* closes the day, downloads its remittance file (saved to the screenshots folder, where the
  Swift test reads its total);
* shows each report (remittance, receipt usage, collections) for this month, whose total is
  the total of its CSV; finds a receipt by its lookup code, checks its signature and replaces
  it through the form (the Swift test checks the database); the auditor opens the ledger,
  which balances, and an account's entries;
* signs out: the old session cookie no longer opens a page.

Every page is checked with axe-core (no serious or critical WCAG 2.1 AA violation), for
Content Security Policy violations, and for sideways scrolling at 360 px; screenshots of
each go to the folder the plan names. Exits 1 with one line per failure.
"""
import json
import os
import re
import sys
import time
import urllib.request

import pyotp
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chromium import browser, check_axe, check_console, fail, finish  # noqa: E402

plan = json.load(sys.stdin)
base = plan["base_url"]
shots = plan["screenshots"]
os.makedirs(shots, exist_ok=True)
PASSWORD = "Sổ thu phí tháng Chạp 2026"


def look(driver, name, phone=True):
    """Screenshot, axe, the browser console, and (at 360 px) no sideways scrolling."""
    driver.save_screenshot(os.path.join(shots, f"{name}-1280.png"))
    check_axe(driver, name)
    check_console(driver, name)
    if phone:
        driver.set_window_size(360, 800)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 360, "height": 800, "deviceScaleFactor": 1, "mobile": True})
        # Measured once the page has laid itself out at the new width (two animation frames).
        widths = driver.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "requestAnimationFrame(function () { requestAnimationFrame(function () {"
            " done([document.documentElement.scrollWidth, document.documentElement.clientWidth]); }); });")
        if widths[0] > widths[1]:
            fail(f"{name}: at 360 px the page scrolls sideways ({widths[0]} > {widths[1]} px)")
        driver.save_screenshot(os.path.join(shots, f"{name}-360.png"))
        check_axe(driver, name + "-360")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})


def text(driver):
    return driver.find_element(By.TAG_NAME, "main").text


def wait_for(driver, condition, what, seconds=20):
    try:
        return WebDriverWait(driver, seconds).until(condition)
    except TimeoutException:
        fail(f"timed out waiting for {what} (at {driver.current_url})")
        return None


def submit_confirmed(driver, button):
    """Clicks a button whose form asks `confirm()` first, and accepts the question."""
    button.click()
    alert = wait_for(driver, expected_conditions.alert_is_present(), "the confirmation", 5)
    if alert:
        alert.accept()


def enrol_and_sign_in(driver, person):
    driver.get(person["link"])
    role = person["role"]
    if "Thiết lập tài khoản" not in driver.title:
        fail(f"enrol-{role}: the enrolment page is not in Vietnamese: {driver.title!r}")
    if not driver.find_elements(By.CSS_SELECTOR, "figure.qr svg"):
        fail(f"enrol-{role}: no authenticator QR code")
    secret = driver.find_element(By.ID, "totp-secret").text.replace(" ", "")
    look(driver, f"enrol-{role}")
    totp = pyotp.TOTP(secret)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "password_again").send_keys(PASSWORD)
    # The code of the previous 30 s (the console accepts one step either side), so that the
    # current one is still unused for signing in.
    driver.find_element(By.ID, "code").send_keys(totp.at(time.time() - 30))
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(driver, lambda d: "/console/sign-in" in d.current_url, f"enrol-{role} to lead to the sign-in page")
    look(driver, f"sign-in-{role}")
    driver.find_element(By.ID, "email").send_keys(person["email"])
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "code").send_keys(totp.now())
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "sign-out"), f"{role} to be signed in")
    cookies = {c["name"]: c for c in driver.get_cookies()}
    session = cookies.get("__Host-feepay_session")
    if not session:
        fail(f"{role}: no __Host-feepay_session cookie after signing in: {list(cookies)}")
    elif not (session.get("httpOnly") and session.get("secure") and session.get("sameSite") == "Strict"):
        fail(f"{role}: the session cookie is not HttpOnly, Secure and SameSite=Strict: {session}")
    return session


def today(driver):
    driver.get(base + "/console")
    body = text(driver)
    for words in ("Hôm nay", "Ngoại lệ"):
        if words not in body:
            fail(f"today: the page lacks {words!r}")
    if not driver.find_elements(By.CSS_SELECTOR, "main svg"):
        fail("today: no chart of the last 30 days")
    look(driver, "today")


def upload(driver):
    driver.get(base + "/console/statements")
    look(driver, "statements")
    Select(driver.find_element(By.ID, "u-connector")).select_by_value(plan["connector"])
    day = driver.find_element(By.ID, "u-date")
    driver.execute_script("arguments[0].value = arguments[1]", day, plan["day"])
    driver.find_element(By.ID, "u-file").send_keys(plan["statement"])
    driver.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    if not wait_for(driver, lambda d: re.search(r"/console/statements/stl_", d.current_url),
                    "the statement's summary after the upload", 30):
        problem = driver.find_elements(By.ID, "problem")
        fail("upload: " + (problem[0].text if problem else "no summary and no reason"))
        return
    body = text(driver)
    for words in ("Khớp", "Thiếu ở FeePay", "Thiếu ở ngân hàng"):
        if words not in body:
            fail(f"statement summary lacks the category {words!r}")
    look(driver, "statement")


proposed = []


def resolve_all(driver):
    driver.get(base + f"/console/exceptions?status=open&date={plan['day']}")
    look(driver, "exceptions")
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a.exception-link")]
    kinds = []
    for href in links:
        driver.get(href)
        kind = driver.find_element(By.ID, "exception-kind").get_attribute("data-kind")
        kinds.append(kind)
        values = [r.get_attribute("value") for r in driver.find_elements(By.CSS_SELECTOR, "input[name=action]")]
        if kind == "missing_in_feepay":
            # Money only the statement knows of: find the invoice it pays by its code.
            driver.find_element(By.ID, "search").send_keys(plan["open_code"])
            driver.find_element(By.CSS_SELECTOR, "form[role=search] button").click()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "input[name=invoice_id]"),
                     "the invoice search's result")
            look(driver, "exception-apply", phone=False)
            driver.find_element(By.ID, "action-apply_to_invoice").click()
            driver.find_element(By.CSS_SELECTOR, "input[name=invoice_id]").click()
            note = "Người nộp không ghi mã; khớp theo số tiền và hồ sơ"
        else:
            look(driver, f"exception-{len(kinds)}", phone=len(kinds) == 1)
            choice = next(v for v in ("refund", "accept_bank_record", "write_off") if v in values)
            driver.find_element(By.ID, f"action-{choice}").click()
            note = f"Xử lý: {choice}"
        driver.find_element(By.ID, "note").send_keys(note)
        submit_confirmed(driver, driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]"))
        if not wait_for(driver, lambda d: "resolved=1" in d.current_url or "proposed=1" in d.current_url,
                        f"exception {href} to be resolved or proposed"):
            problem = driver.find_elements(By.ID, "problem")
            fail(f"resolve {href}: " + (problem[0].text if problem else "no reason shown"))
        elif "proposed=1" in driver.current_url:
            # Four eyes: money leaving suspense waits for a second person; the proposer cannot approve.
            proposed.append(href)
            if driver.find_elements(By.ID, "approve"):
                fail(f"proposal {href}: the proposer is offered the approve button")
            if not driver.find_elements(By.ID, "proposed-by"):
                fail(f"proposal {href}: the page does not say who proposed it")
            if len(proposed) == 1:
                look(driver, "exception-proposed")
    if sorted(kinds) != sorted(plan["expected_kinds"]):
        fail(f"exceptions: the day's open exceptions are {sorted(kinds)}, expected {sorted(plan['expected_kinds'])}")
    if not proposed:
        fail("exceptions: nothing waited for a second person's approval")


def approve_all(driver):
    """The second accountant approves every proposal; then no exception of the day is open."""
    for href in proposed:
        driver.get(href)
        buttons = driver.find_elements(By.ID, "approve")
        if not buttons:
            fail(f"approve {href}: the second accountant is offered no approve button")
            continue
        if href == proposed[0]:
            look(driver, "exception-approve")
        submit_confirmed(driver, buttons[0])
        if not wait_for(driver, lambda d: "resolved=1" in d.current_url, f"exception {href} to be approved"):
            problem = driver.find_elements(By.ID, "problem")
            fail(f"approve {href}: " + (problem[0].text if problem else "no reason shown"))
        elif not driver.find_elements(By.ID, "approved-by"):
            fail(f"approve {href}: the resolved page does not name the approver")
    driver.get(base + f"/console/exceptions?status=open&date={plan['day']}")
    if driver.find_elements(By.CSS_SELECTOR, "a.exception-link"):
        fail("exceptions: some are still open after resolving and approving each")


def auditor_reads(driver, accountant_email):
    driver.get(base + "/console/exceptions?status=resolved")
    link = driver.find_elements(By.CSS_SELECTOR, "a.exception-link")
    if not link:
        fail("auditor: sees no resolved exception")
    else:
        link[0].click()
        if driver.find_elements(By.CSS_SELECTOR, "form[action$='/resolve']"):
            fail("auditor: an exception's page offers the auditor a form")
    driver.get(base + "/console/audit")
    if accountant_email not in text(driver) and "staff:" not in text(driver):
        fail("audit: the log does not name the accountant")
    look(driver, "audit")


def close_day(driver):
    driver.get(base + f"/console/days/{plan['day']}")
    look(driver, "day-open", phone=False)
    buttons = driver.find_elements(By.ID, "close-day")
    if not buttons:
        fail(f"day: no close button although every exception is resolved: {text(driver)[:300]!r}")
        return
    submit_confirmed(driver, buttons[0])
    if not wait_for(driver, lambda d: d.find_elements(By.ID, "remittance-csv"), "the closed day's remittance"):
        return
    look(driver, "day-closed")
    href = driver.find_element(By.ID, "remittance-csv").get_attribute("href")
    # The file as the signed-in browser downloads it (its cookie, same origin).
    csv = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(function (r) { return r.text(); })"
        ".then(done, function (e) { done('ERROR ' + e); });", href)
    with open(os.path.join(shots, f"remittance-{plan['day']}.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(csv)
    if ",TOTAL," not in csv:
        fail(f"remittance: no TOTAL line in {csv[:200]!r}")


def reports(driver):
    """Each report over this month: a table, a total, and its CSV with the same TOTAL."""
    for report in ("remittance", "usage", "collections"):
        driver.get(base + "/console/reports")
        Select(driver.find_element(By.ID, "r-report")).select_by_value(report)
        driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        # The form's page already shows this month's remittance: wait for the chosen report's.
        if not wait_for(driver, lambda d: f"report={report}" in d.current_url and d.find_elements(By.ID, "report-total"),
                        f"the {report} report"):
            continue
        shown = driver.find_element(By.ID, "report-total").text
        if not driver.find_elements(By.CSS_SELECTOR, "#report tbody tr"):
            fail(f"report {report}: no rows for this month although money was collected")
        href = driver.find_element(By.ID, "report-csv").get_attribute("href")
        csv = driver.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {credentials: 'same-origin'}).then(function (r) { return r.text(); })"
            ".then(done, function (e) { done('ERROR ' + e); });", href)
        total = [line for line in csv.split("\r\n") if line.startswith("TOTAL,")]
        digits = re.sub(r"[^0-9]", "", shown)
        if not total or total[0].rstrip(",").split(",")[-1] != digits:
            fail(f"report {report}: the page's total {shown!r} is not the CSV's {total!r}")
        look(driver, f"report-{report}")


def replace_receipt(driver):
    """Finds the receipt by its lookup code, checks its signature, and replaces it by the form."""
    driver.get(base + "/console/receipts")
    driver.find_element(By.ID, "q").send_keys(plan["receipt_lookup"])
    driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    links = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#receipts tbody a"), "the receipt found")
    if not links:
        return
    look(driver, "receipts")
    links[0].click()
    verdict = wait_for(driver, lambda d: d.find_elements(By.ID, "verdict"), "the receipt's page")
    if verdict and "hợp lệ" not in verdict[0].text:
        fail(f"receipt: the signature check says {verdict[0].text!r}")
    look(driver, "receipt")
    name = driver.find_element(By.ID, "payer-name")
    name.clear()
    name.send_keys("Nguyễn Thị Thu Hà")
    driver.find_element(By.ID, "reason").send_keys("Người nộp báo sai họ tên")
    submit_confirmed(driver, driver.find_element(By.ID, "replace"))
    notice = wait_for(driver, lambda d: d.find_elements(By.ID, "notice"), "the replacement's page")
    if notice and "Nguyễn Thị Thu Hà" not in driver.find_element(By.ID, "receipt-payer").text:
        fail("receipt: the replacement does not carry the corrected name")
    look(driver, "receipt-replaced")


def ledger(driver):
    driver.get(base + "/console/ledger")
    balanced = driver.find_elements(By.ID, "ledger-balanced")
    if not balanced or "✓" not in balanced[0].text:
        fail("ledger: the page does not show debits equal to credits")
    look(driver, "ledger")
    accounts = driver.find_elements(By.CSS_SELECTOR, "#balances tbody a")
    if not accounts:
        fail("ledger: no account")
        return
    accounts[0].click()
    if not wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#entries tbody tr"), "an account's entries"):
        return
    look(driver, "ledger-entries")


def sign_out(driver, session):
    driver.find_element(By.ID, "sign-out").click()
    wait_for(driver, lambda d: "/console/sign-in" in d.current_url, "the sign-in page after signing out")
    # The old cookie, put back by hand, opens nothing: the session is gone from the server.
    request = urllib.request.Request(base + "/console/exceptions",
                                     headers={"Cookie": f"{session['name']}={session['value']}"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        answer = urllib.request.build_opener(NoRedirect).open(request)
        fail(f"sign-out: the old session still opens a page ({answer.status})")
    except urllib.error.HTTPError as error:
        if error.code != 303:
            fail(f"sign-out: the old session's request answered {error.code}, not 303 to sign in")


people = {p["role"]: p for p in plan["people"]}
accountant = browser(1280, 900)
auditor = browser(1280, 900)
approver = browser(1280, 900)
try:
    session = enrol_and_sign_in(accountant, people["accountant"])
    enrol_and_sign_in(auditor, people["auditor"])
    enrol_and_sign_in(approver, people["approver"])
    today(accountant)
    upload(accountant)
    resolve_all(accountant)
    approve_all(approver)
    auditor_reads(auditor, people["accountant"]["email"])
    close_day(accountant)
    reports(accountant)
    replace_receipt(accountant)
    ledger(auditor)
    accountant.get(base + "/console/days?lang=en")
    if "Business days" not in text(accountant) and "days" not in text(accountant).lower():
        fail("lang=en: the days page is not in English")
    look(accountant, "days-en", phone=False)
    accountant.get(base + "/console/days?lang=vi")
    if session:
        sign_out(accountant, session)
finally:
    accountant.quit()
    auditor.quit()
    approver.quit()
finish(shots)
