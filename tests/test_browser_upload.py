"""An upload through the real page: an ONNX file is drawn, a bad file gets a message and the
page keeps working (Streamlit on localhost, Debian's Chromium)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

import vizcnn
from vizcnn.words import human

from onnx_fixtures import export
from test_browser import browser, page, server_url, settle  # noqa: F401 (fixtures)


def test_upload_through_the_page(server_url: str, page: Page, tmp_path) -> None:  # noqa: F811
    good = export("resnet18", tmp_path / "r18.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x01\x02garbage" * 50)
    page.goto(server_url)
    expect(page.locator(".vizcnn-graph svg")).to_be_visible()
    page.locator(".st-key-source button").nth(1).click()
    settle(page)
    uploader = page.locator(".st-key-upload_file input[type='file']")
    uploader.set_input_files(str(bad))
    settle(page)
    expect(page.get_by_role("alert").filter(has_text="not a readable ONNX file")).to_be_visible()
    uploader.set_input_files(str(good))
    settle(page)
    expect(page.get_by_text("Model file: r18.onnx")).to_be_visible()
    expect(page.locator(".vizcnn-graph svg")).to_contain_text("layer1")
    want = vizcnn.trace("resnet18", (1, 3, 224, 224))
    expect(page.get_by_text(human(want.macs), exact=False).first).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
