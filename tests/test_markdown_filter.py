"""The `markdown` template filter: text people wrote, as sanitised HTML, on the report pages."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.test import Client

from accord.cases import actions
from accord.cases.actions.reports import ReportInput
from accord.testing import World, login, reporter_writes, start_embargo, write_to_reporter

HOSTILE = """# Title

<script>alert("raw")</script>
<img src="x" onerror="alert('img')">
[plain](javascript:alert('link'))
[mixed case](JaVaScRiPt:alert('case'))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
[vb](vbscript:msgbox)
<javascript:alert('autolink')>
![tracker](https://tracker.example/pixel.png)
<a href="javascript:alert('a')" onclick="alert('click')">anchor</a>
[the advisory](https://vendor.example/advisory "title")

```
<b>not bold</b> & "quoted"
```
"""


def render(text: str, arg: str = "") -> str:
    return Template("{{ text|markdown" + arg + " }}").render(Context({"text": text}))


def assert_harmless(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered
    assert "javascript:" not in re.sub(r"&[a-z]+;|&#\d+;", "", "".join(re.findall(r"<[^>]+>", lowered)))
    assert not re.search(r"<[^>]+\son\w+=", lowered)  # no event handler attribute survives
    assert 'href="data:' not in lowered and 'href="vbscript:' not in lowered
    assert "tracker.example" not in lowered  # an image is dropped, not turned into a request


def test_hostile_markdown_is_neutralised() -> None:
    html = render(HOSTILE)
    assert_harmless(html)
    # Raw HTML shows as text.
    assert '&lt;script&gt;alert("raw")&lt;/script&gt;' in html
    # The safe link stays, and never sends the page's address (the follow page's is a secret).
    assert (
        '<a href="https://vendor.example/advisory" title="title" rel="noopener noreferrer nofollow">' in html
    )
    # A code block keeps its text, escaped.
    assert '<pre><code>&lt;b&gt;not bold&lt;/b&gt; &amp; "quoted"\n</code></pre>' in html


def test_headings_are_demoted_and_line_breaks_kept() -> None:
    assert render("# Steps", ":3").strip() == "<h4>Steps</h4>"
    assert "one<br>" in render("one\ntwo") or "one<br />" in render("one\ntwo")
    assert render(None) == ""  # type: ignore[arg-type]


@pytest.mark.django_db
def test_report_text_and_messages_are_sanitised_markdown_on_every_report_page(world: World) -> None:
    report, key = actions.submit_report(
        ReportInput(
            product="Gadget", version="1", description=HOSTILE, impact="**Full** control", credit=False
        ),
        by=None,
    )
    write_to_reporter(report, HOSTILE, by=world.analyst)
    reporter_writes(report, "Here:\n\n```\n$ curl -d @poc.json /api\n```")
    for html in (
        Client().get(f"/report/follow/{key}/").content.decode(),
        login(Client(), world.analyst).get(f"/triage/{report.pk}/").content.decode(),
    ):
        main = html[html.index("<main") : html.index("</main>")]
        assert_harmless(main)
        assert "<strong>Full</strong> control" in main
        assert "<pre><code>$ curl -d @poc.json /api\n</code></pre>" in main
        assert main.count('href="https://vendor.example/advisory"') == 2  # the description and the note
        assert "<h4>Title</h4>" in main and "<h3>Title</h3>" in main  # report field, message


@pytest.mark.django_db
def test_messages_in_a_case_are_sanitised_markdown_on_every_thread_page(world: World) -> None:
    from accord.conversation import actions as conversation

    start_embargo(world)
    assert world.case is not None
    thread = conversation.discussion(world.case)
    conversation.post_message(thread, HOSTILE, speaker=conversation.Speaker(world.analyst, staff=True))
    base = f"/cases/{world.case.url_ref}/messages/"
    client = login(Client(), world.co_vendor)
    for url in (f"{base}new/", f"{base}{thread.pk}/"):  # what is new first: opening the thread reads it
        html = client.get(url).content.decode()
        main = html[html.index("<main") : html.index("</main>")]
        assert_harmless(main)
        assert (
            '<a href="https://vendor.example/advisory" title="title" rel="noopener noreferrer nofollow">'
            in main
        )
        assert "<h3>Title</h3>" in main, url
