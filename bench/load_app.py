"""Load check of the Streamlit app (not a test): one server on 127.0.0.1, N concurrent
browser sessions, each picking a model family in the sidebar and waiting for its graph.

    python bench/load_app.py [--sessions 20] [--timeout 180]

Prints how many sessions succeeded, the errors, the wall time and the per-session latency
(first graph, and graph of the chosen model). Everything stays on localhost and is bounded:
one page per session, one model switch per page, a deadline per wait and for the whole run.
Needs Debian's chromium (the same one the browser test drives).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

from playwright.async_api import Browser, async_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from test_browser import CHROMIUM_ARGS, free_port, start_server, stop_server  # noqa: E402

# (family to pick, model it starts on, text its graph must show)
CHOICES = (
    ("AlexNet", "alexnet"), ("VGG", "vgg11"), ("GoogLeNet", "googlenet"),
    ("DarkNet", "darknet19"), ("SENet", "se_resnet50"), ("MobileNet", "mobilenet_v1"),
    ("ShuffleNet", "shufflenet_v1"), ("GhostNet", "ghostnet"),
)


async def session(browser: Browser, url: str, index: int, timeout_ms: int) -> dict:
    family, model = CHOICES[index % len(CHOICES)]
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(timeout_ms)
    start = time.perf_counter()
    result: dict = {"index": index, "model": model}
    try:
        await page.goto(url)
        await page.wait_for_selector(".vizcnn-graph svg")
        result["first_graph_s"] = time.perf_counter() - start
        switch = time.perf_counter()
        await page.locator(".st-key-family [role='combobox']").first.click()
        await page.get_by_role("option", name=family, exact=True).click()
        # the graph's title names the model: wait until the new one is drawn
        await page.wait_for_function(
            "m => [...document.querySelectorAll('.vizcnn-graph svg text')]"
            ".some(t => t.textContent.startsWith(m + ' · '))", arg=model)
        result["switch_s"] = time.perf_counter() - switch
        errors = await page.get_by_test_id("stException").count()
        errors += await page.get_by_test_id("stAlertContentError").count()
        result["ok"] = errors == 0
        if errors:
            result["error"] = f"{errors} error element(s) on the page"
    except Exception as error:  # a load check reports failures, it does not stop on them
        result["ok"], result["error"] = False, f"{type(error).__name__}: {error}"[:300]
    finally:
        result["total_s"] = time.perf_counter() - start
        await context.close()
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), to tell server work from browser
    work: all sessions' pages are drawn by one Chromium on the same two cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def run(sessions: int, timeout_s: float) -> int:
    port = free_port()
    server = start_server(port)
    url = f"http://127.0.0.1:{port}"
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=CHROMIUM_ARGS)
            try:
                cpu = cpu_seconds(server.pid)
                wall = time.perf_counter()
                results = await asyncio.wait_for(
                    asyncio.gather(*(session(browser, url, i, int(timeout_s * 1000))
                                     for i in range(sessions))),
                    timeout=timeout_s + 60)
                wall = time.perf_counter() - wall
                cpu = cpu_seconds(server.pid) - cpu
            finally:
                await browser.close()
    finally:
        stop_server(server)
    ok = [r for r in results if r["ok"]]
    print(f"sessions: {sessions}, succeeded: {len(ok)}, failed: {sessions - len(ok)}")
    print(f"wall time for all sessions: {wall:.1f} s; server CPU time: {cpu:.1f} s "
          f"({cpu / sessions:.2f} s per session; the rest is the browser drawing {sessions} "
          f"pages on the same cores)")
    for key, name in (("first_graph_s", "first graph"), ("switch_s", "model switch"),
                      ("total_s", "whole session")):
        values = sorted(r[key] for r in results if key in r)
        if values:
            print(f"{name:>14}: median {statistics.median(values):.1f} s, "
                  f"max {values[-1]:.1f} s (n={len(values)})")
    for r in results:
        if not r["ok"]:
            print(f"  session {r['index']} ({r['model']}): {r.get('error')}")
    return 0 if len(ok) == sessions else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=180.0,
                        help="seconds allowed for each wait in a session")
    args = parser.parse_args()
    if not 1 <= args.sessions <= 50:
        parser.error("--sessions must be between 1 and 50")
    return asyncio.run(run(args.sessions, args.timeout))


if __name__ == "__main__":
    sys.exit(main())
