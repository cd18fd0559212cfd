"""Issue 12 items 2-3 in Chromium: an analyst gives a vulnerability an EUVD id and GCVE ids in the
case workspace; once the note is published, its public page shows them and links its
machine-readable formats, and the CSAF 2.0 link answers the CSAF JSON. Screenshots at 1280 and
390 px under tests/browser/output/<test name>/."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model

from accord.cases import actions
from accord.publication import actions as notes
from tests.browser import expect
from tests.browser.test_publication_journey import ANALYST, PUBLISHER, embargoed_case


def publish(case):  # type: ignore[no-untyped-def]
    """Through the real actions (the publication journey drives these pages itself)."""
    users = get_user_model().objects
    analyst, publisher = users.get(email=ANALYST), users.get(email=PUBLISHER)
    actions.terminate_embargo(case, by=analyst, reason="fix shipped")
    note = notes.note_for(case, by=analyst)
    notes.save_draft(note, {"overview": "A command injection in Gadget Hub."}, by=analyst)
    notes.approve(notes.request_review(note, by=analyst), by=publisher)
    note.refresh_from_db()
    notes.publish_now(note, by=publisher)


def test_identifiers_and_export_links(journey, settings):  # type: ignore[no-untyped-def]
    settings.CVE_ORG_ID = "b3476cb9-2e3d-41a6-98d0-0f47421a65b6"  # a CNA: CVE records are offered
    case, _ = embargoed_case()
    ref = case.url_ref
    [vulnerability] = case.vulnerabilities.all()
    label = vulnerability.label

    analyst = journey.new_page()
    journey.log_in(analyst, ANALYST)
    analyst.goto(journey.url(f"/cases/{ref}/#vulnerabilities"))
    article = analyst.locator("#vulnerability-1")
    article.get_by_text(f"Edit {label}").click()
    # A typo first: the form says what an EUVD id looks like, and keeps what was typed.
    article.get_by_label("EUVD id").fill("EUVD-26-4242")
    article.get_by_label("GCVE ids").fill("GCVE-1-2026-0007, GCVE-9-2026-0008")
    article.get_by_role("button", name=f"Save {label}").click()
    expect(analyst.locator("#vulnerability-1")).to_contain_text("is not an EUVD id like EUVD-2026-12345")
    journey.step(analyst, "01-euvd-typo")
    analyst.locator("#vulnerability-1").get_by_label("EUVD id").fill("EUVD-2026-4242")
    analyst.locator("#vulnerability-1").get_by_role("button", name=f"Save {label}").click()
    expect(analyst.locator("#vulnerability-1")).to_contain_text(
        "EUVD-2026-4242, GCVE-1-2026-0007, GCVE-9-2026-0008"
    )
    journey.step(analyst, "02-ids-saved")

    publish(case)
    visitor = journey.new_page()
    visitor.goto(journey.url(f"/vuls/{ref}/"))
    expect(visitor.locator("#vulnerabilities")).to_contain_text("EUVD-2026-4242, GCVE-1-2026-0007")
    exports = visitor.locator("#exports")
    expect(exports).to_contain_text("Machine-readable formats")
    expect(exports).to_contain_text("CVE JSON 5.2")
    journey.step(visitor, "03-public-note")
    link = exports.get_by_role("link", name="CSAF 2.0")
    href = link.get_attribute("href")
    assert href == f"/vuls/{ref}/csaf.json"
    answer = visitor.request.get(journey.url(href))
    assert answer.status == 200 and answer.headers["content-type"] == "application/json; charset=utf-8"
    csaf = json.loads(answer.body())
    assert csaf["document"]["tracking"]["id"] == case.label
    ids = json.dumps(csaf["vulnerabilities"])
    assert "EUVD-2026-4242" in ids and "GCVE-9-2026-0008" in ids
    # A reader following the link sees the document itself (and the browser's favicon request
    # finds the icon, so the console stays clean).
    link.click()
    visitor.wait_for_url(journey.url(href))
    expect(visitor.locator("body")).to_contain_text('"csaf_version": "2.0"')
    # (No journey.step here: axe would audit Chromium's own JSON viewer, not an Accord page.)
