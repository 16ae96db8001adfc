"""Take the README's screenshots of the main pages with Debian's headless chromium.

Usage: make screenshots  (bootstraps var/zhiliang.sqlite3, serves it on a spare
port, logs in as the bootstrap admin and writes docs/screenshots/*.png).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from zhiliang.tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
PORT = int(os.environ.get("SCREENSHOT_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
PAGES = [
    ("plan", "/plans/1/"),
    ("matrix", "/plans/1/matrix/"),
    ("dashboard", "/plans/1/dashboard/"),
    ("targets-dashboard", "/plans/1/dashboard/targets/"),
    ("measure", "/plans/measures/3/"),
    ("report", "/plans/reports/2/"),
    ("notice", "/plans/notices/1/"),
    ("public-duties", "/public/duties/"),
    ("unit", "/plans/units/cq-zjj/"),
    ("targets", "/plans/targets/"),
    ("organisations", "/registry/organisations/"),
    ("audit", "/accounts/audit/"),
    ("inspections-samples", "/inspections/"),
    ("inspections-sample", "/inspections/samples/DEMO-2015-Q4-002/"),
    ("inspections-plan", "/inspections/plans/DEMO-2015-01/"),
    ("inspections-pass-rates", "/inspections/pass-rates/?year=2015&by=category"),
    ("inspections-targets", "/inspections/targets/"),
    ("inspections-import", "/inspections/import/"),
    ("credit-home", "/credit/"),
    ("credit-risk", "/credit/risk/"),
    ("credit-import", "/credit/records/import/"),
    ("surveillance-cases", "/surveillance/"),
    ("surveillance-new", "/surveillance/cases/new/"),
    ("surveillance-estimates", "/surveillance/estimates/?by=category"),
    ("signals-inbox", "/signals/"),
    ("signals-signal", "/signals/1/"),
]


def main() -> None:
    zl = [sys.executable, "-m", "zhiliang"]
    subprocess.run([*zl, "migrate", "-v", "0"], check=True, cwd=ROOT)
    subprocess.run([*zl, "bootstrap", "--demo"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    password = (ROOT / "var" / "admin-password.txt").read_text(encoding="utf-8").strip()
    server = subprocess.Popen(
        [*zl, "runserver", "--noreload", f"127.0.0.1:{PORT}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(BASE + "/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
            page.goto(BASE + "/accounts/login/")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", password)
            page.click("main button[type=submit]")
            page.wait_for_url(BASE + "/")
            for name, path in PAGES:
                page.goto(BASE + path)
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=False)
                print(OUT / f"{name}.png")
            browser.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
