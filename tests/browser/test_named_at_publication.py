"""An anonymous vendor chooses, on its case page, to be named in the published note (no
JavaScript needed: a form with two radio buttons)."""

from __future__ import annotations

from accord.testing import join_embargo, make_world
from tests.browser import assert_accessible, expect, log_in


def test_the_vendor_chooses_its_name_at_publication(page, live_server) -> None:  # type: ignore[no-untyped-def]
    world = make_world()
    assert world.case is not None
    from accord.cases import actions

    world.case = actions.record_contact_attempt(world.case, by=world.analyst, outside=True)
    join_embargo(world)
    log_in(page, live_server.url, world.vendor.email)
    page.goto(f"{live_server.url}/cases/{world.case.url_ref}/")
    form = page.locator("#publication-name")
    expect(form).to_contain_text("to them you stay")
    assert_accessible(page)
    form.get_by_label("Show our name, Vendor One").check()
    form.get_by_role("button", name="Save the choice for publication").click()
    expect(page.get_by_text("At publication the note will show Vendor One")).to_be_visible()
    expect(page.locator("#publication-name")).to_contain_text("your name, Vendor One")
    assert_accessible(page)
    participant = world.case.participants.get(organization=world.vendor_org)
    assert participant.named_at_publication is True
