"""Model choice → interactive graph in the app, for every zoo model at the default depth (not
a test: one run, printed). One Streamlit server on 127.0.0.1 and one Chromium page, as a
person uses it: each model is picked in the sidebar (its family, then its variant) and the
clock runs from the click on the option until the viewer has drawn the new graph (the
viewer's ``data-state="ready"``, set once the drawing is painted).

    python bench/bench_viewer_app.py [--models googlenet,resnet50]

Prints, per model, the wall seconds and the viewer's own split (time before its draw started:
the app's run and the page update; then layout, show, paint in ms), and the median and worst.
The machine may be shared: the numbers are one noisy run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
import vizcnn  # noqa: E402
from test_browser import (CHROMIUM_ARGS, VIEWPORT, free_port, settle,  # noqa: E402
                          start_server, stop_server, viewer_ready)

TIMEOUT_MS = 120_000


def pick(page: Page, key: str, option: str) -> dict:
    """Click ``option`` of the selectbox ``key``; the viewer's timings of the draw it causes
    and the wall seconds from the click."""
    settle(page)
    renders = int(page.get_attribute(".vzv", "data-renders") or 0)
    page.locator(f".st-key-{key} [role='combobox']").first.click()
    choice = page.get_by_role("option", name=option, exact=True)
    choice.wait_for()
    clicked_at = page.evaluate("() => performance.now()")
    started = time.perf_counter()
    choice.click()
    timings = viewer_ready(page, renders)
    timings["wall_s"] = time.perf_counter() - started
    timings["before_draw_ms"] = timings["started_at_ms"] - clicked_at
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="", help="comma-separated (default: the zoo)")
    args = parser.parse_args()
    models = args.models.split(",") if args.models else vizcnn.list_models()
    port = free_port()
    server = start_server(port)
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"http://127.0.0.1:{port}")
            viewer_ready(page)
            shown = page.locator(".st-key-model [role='combobox']").first.input_value()
            for model in models:
                family = vizcnn.model_card(model).family
                if model == shown:
                    continue   # the page opened on it: no choice to time
                if family != vizcnn.model_card(shown).family:
                    first = vizcnn.list_models(family)[0]
                    timings = pick(page, "family", family)   # picks the family's first
                    shown = first
                    if first == model:
                        rows.append((model, timings))
                        continue
                rows.append((model, pick(page, "model", model)))
                shown = model
            browser.close()
    finally:
        stop_server(server)
    print(f"{'model':28} {'wall s':>7} {'before':>7} {'layout':>7} {'show':>6} {'paint':>6}"
          f" {'boxes':>6}")
    for model, t in rows:
        print(f"{model:28} {t['wall_s']:7.2f} {t['before_draw_ms']:7.0f} {t['layout_ms']:7.0f}"
              f" {t['show_ms']:6.0f} {t['paint_ms']:6.0f} {t['boxes']:6d}")
    walls = sorted(t["wall_s"] for _, t in rows)
    worst = max(rows, key=lambda r: r[1]["wall_s"])
    print(f"\n{len(rows)} models: median {statistics.median(walls):.2f} s, "
          f"best {walls[0]:.2f} s, worst {walls[-1]:.2f} s ({worst[0]}); "
          f"under 1 s: {sum(w < 1 for w in walls)} of {len(walls)}")
    print(json.dumps({m: round(t["wall_s"], 2) for m, t in rows}))


if __name__ == "__main__":
    main()
