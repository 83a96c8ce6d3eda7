"""How docs/prefect_uruchomienie_z_ui_*.png were made (issue 14): a deployment run from the Prefect
UI in a real browser, the way a regional treasurer would start it — not part of the test suite
(it needs Chromium).

    skladki server start
    skladki serve --inbox data/demo --db /tmp/ui/s.duckdb --out /tmp/ui/out &
    pip install --target /tmp/pw playwright          # the Python package only; no browser download
    PYTHONPATH=/tmp/pw python3 docs/ui_run_from_browser.py /usr/bin/chromium

It opens the deployment `zamkniecie-miesieczne`, presses Run, then Run in the form (the period
left empty: the previous month), waits until the served process has completed the run, and
photographs the form and the run's page with its artifacts.
"""
import json
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

UI = "http://127.0.0.1:4200"


def api(path: str, body: dict) -> list:
    req = urllib.request.Request(f"{UI}/api/{path}", data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def main(chromium: str) -> None:
    (deployment,) = api("deployments/filter", {"deployments": {"name": {"any_": ["zamkniecie-miesieczne"]}}})
    runs = {r["id"] for r in api("flow_runs/filter", {"deployments": {"id": {"any_": [deployment["id"]]}}})}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{UI}/deployments/deployment/{deployment['id']}", wait_until="networkidle")
        page.get_by_role("button", name="Run", exact=True).first.click()
        page.get_by_text("Quick run", exact=True).click()
        time.sleep(2)
        page.screenshot(path="docs/prefect_uruchomienie_z_ui_formularz.png")
        buttons = page.locator("button")
        [b for b in (buttons.nth(i) for i in range(buttons.count())) if b.inner_text().strip() == "Run"][-1].click()
        for _ in range(120):
            new = [r for r in api("flow_runs/filter", {"deployments": {"id": {"any_": [deployment["id"]]}}})
                   if r["id"] not in runs]
            if new and new[0]["state_type"] in ("COMPLETED", "FAILED", "CRASHED"):
                break
            time.sleep(1)
        print(new[0]["name"], new[0]["state_type"])
        page.goto(f"{UI}/runs/flow-run/{new[0]['id']}", wait_until="networkidle")
        page.get_by_text("Artifacts", exact=True).first.click()
        time.sleep(2)
        page.screenshot(path="docs/prefect_uruchomienie_z_ui_artefakty.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/bin/chromium")
