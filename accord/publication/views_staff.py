"""The case's "Note" tab for analysts: the editor, the preview, versions and their diff, the
review, publication (now or scheduled), pending revisions, corrections and withdrawal.

Every change calls accord.publication.actions, as the API does; cases come only through the
gate (accord.cases.access.access_case); publisher-only buttons are shown only to publishers
(the actions refuse anyone else anyway).
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from accord.accounts.models import User
from accord.cases.access import access_case
from accord.cases.forms import local_datetime_field
from accord.cases.models import Case
from accord.cases.presenter import Viewer
from accord.cases.views.cases import form_zone, workspace
from accord.cases.views.common import add_error, refuse
from accord.core.access import access
from accord.core.confirm import Confirmation, Fact, confirm
from accord.lib.errors import InvalidInput, RuleViolation
from accord.publication import actions
from accord.publication.models import SECTIONS, DraftVersion, Note, Review, Revision
from accord.publication.snapshot import build_snapshot
from accord.publication.templatetags.publication import status_word

SECTION_HELP = {
    "overview": "One paragraph: what is affected and what an attacker can do.",
    "description": "The vulnerabilities, in detail.",
    "impact": "What an attacker gains.",
    "solution": "What users should do: the fixed versions.",
    "workarounds": "What helps until the fix is applied.",
    "references": "Links, one per line.",
    "credit": "As the reporter chose it.",
}


class DraftForm(forms.Form):
    summary = forms.CharField(label="What changed (optional)", required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in SECTIONS:
            self.fields[name] = forms.CharField(
                label=name.capitalize(),
                required=False,
                max_length=actions.MAX_SECTION,
                help_text=f"Markdown. {SECTION_HELP[name]}",
                widget=forms.Textarea(attrs={"rows": 6}),
            )
        self.order_fields([*SECTIONS, "summary"])


class ScheduleForm(forms.Form):
    at = local_datetime_field("Publish at")
    override_reason = forms.CharField(
        label="Override reason (only if the embargo is still in force then)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))
    section = forms.ChoiceField(
        label="About the section",
        required=False,
        choices=[("", "the whole note")] + [(s, s) for s in SECTIONS],
    )


def _number(text: str) -> bool:
    """An id or version number from a URL: ASCII digits only ("²".isdigit() is true)."""
    return bool(re.fullmatch(r"[0-9]{1,9}", text))


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _case(request: HttpRequest, ref: str, need: str = "read") -> Case:
    standing = access_case(_user(request), ref, need=need)
    if not standing.staff:
        raise Http404  # the note is the coordinator's until it is published
    return standing.case


def note_url(case: Case, anchor: str = "") -> str:
    return reverse("cases:note", kwargs={"case": case.url_ref}) + anchor


def _note(request: HttpRequest, ref: str, need: str = "read") -> Note:
    case = _case(request, ref, need)
    return actions.note_for(case, by=_user(request))


def _events(note: Note) -> list[Any]:
    rows = (
        note.case.events.filter(kind__startswith="note.")
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    return Viewer.coordinator().show_all(rows[:200])


@access("analyst")
def note_page(request: HttpRequest, case: str) -> HttpResponse:
    standing = access_case(_user(request), case, need="read")
    if not standing.staff:
        raise Http404
    note = actions.note_for(standing.case, by=_user(request))
    return _render_page(request, standing, note)


def _render_page(
    request: HttpRequest,
    standing: Any,
    note: Note,
    *,
    draft_form: DraftForm | None = None,
    schedule_form: ScheduleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    case = standing.case
    zone = form_zone(request)
    review = Review.objects.filter(note=note).select_related("draft", "requested_by", "decided_by").first()
    pending = note.revisions.filter(state=Revision.State.PENDING).first()
    last = note.revisions.filter(state=Revision.State.PUBLISHED).order_by("-number").first()
    if schedule_form is None:
        with timezone.override(zoneinfo.ZoneInfo(zone.name)):
            schedule_form = ScheduleForm(auto_id="schedule-%s")
    context = {
        **workspace(request, standing, "note"),
        "note": note,
        "draft_form": draft_form or DraftForm(initial=note.sections(), auto_id="note-%s"),
        "generated": build_snapshot(case, note, at=timezone.now()),
        "review": review,
        "comments": list(review.comments.select_related("author")) if review else [],
        "comment_form": CommentForm(auto_id="comment-%s"),
        "approved": actions.approved_review(note) is not None,
        "publisher": bool(getattr(user, "is_publisher", False)),
        "gate": actions.gate_refuses(case, timezone.now()),
        "schedule_form": schedule_form,
        "form_zone": zone.name,
        "pending": pending,
        "pending_diff": _snapshot_diff(last.snapshot, pending.snapshot) if pending and last else [],
        "revisions": list(note.revisions.filter(state=Revision.State.PUBLISHED).order_by("-number")),
        "events": _events(note),
    }
    return render(request, "publication/staff/note.html", context, status=status)


@require_POST
@access("analyst")
def note_save(request: HttpRequest, case: str) -> HttpResponse:
    standing = access_case(_user(request), case, need="write")
    if not standing.staff:
        raise Http404
    note = actions.note_for(standing.case, by=_user(request))
    form = DraftForm(request.POST, auto_id="note-%s")
    if not form.is_valid():
        messages.error(request, "Nothing saved: see the errors in the form.")
        return _render_page(request, standing, note, draft_form=form, status=400)
    sections = {name: form.cleaned_data[name] for name in SECTIONS}
    try:
        draft = actions.save_draft(note, sections, summary=form.cleaned_data["summary"], by=_user(request))
    except (RuleViolation, InvalidInput) as exc:
        refuse(request, exc)
        return _render_page(request, standing, note, draft_form=form, status=400)
    messages.success(request, f"Draft {draft.number} saved.")
    return redirect(note_url(standing.case))


@access("analyst")
def note_preview(request: HttpRequest, case: str) -> HttpResponse:
    note = _note(request, case)
    snapshot = build_snapshot(note.case, note, at=timezone.now())
    return render(
        request, "publication/staff/preview.html", {"case": note.case, "note": note, "snapshot": snapshot}
    )


def diff_sections(old: dict[str, str], new: dict[str, str]) -> list[tuple[str, SafeString]]:
    """Per section, an escaped unified diff (only the sections that differ)."""
    out = []
    for name in SECTIONS:
        a, b = old.get(name, ""), new.get(name, "")
        if a == b:
            continue
        lines = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=2)
        html = []
        for line in list(lines)[2:]:
            cls = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "")
            if cls == "hunk":  # "@@ -3,3 +3,3 @@" means nothing to most readers
                if re.match(r"@@ -[01][ ,].*\+[01][ ,]", line):
                    continue  # the first lines: none left out before them
                line = "… (unchanged lines left out)"
            html.append(f'<span class="{cls}">{escape(line)}</span>' if cls else escape(line))
        if not html:  # only the line endings differ
            continue
        out.append((name, mark_safe("\n".join(html))))  # noqa: S308 (every line escaped above)
    return out


def _snapshot_diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, SafeString]]:
    """What a pending revision changes in the vendor table, line by line (statements included)."""

    def lines(snapshot: dict[str, Any]) -> str:
        out = []
        for v in snapshot.get("vendors", []):
            statuses = ", ".join(f"{s['vulnerability']}: {status_word(s['status'])}" for s in v["statuses"])
            out.append(f"{v['name']}: {statuses}")
            if v.get("statement"):
                out += [f"  | {line}" for line in v["statement"]["text"].splitlines()]
        return "\n".join(out)

    return diff_sections({"references": lines(old)}, {"references": lines(new)})


@access("analyst")
def note_versions(request: HttpRequest, case: str) -> HttpResponse:
    note = _note(request, case)
    drafts = list(DraftVersion.objects.filter(note=note).select_related("saved_by").order_by("-number"))
    diff = None
    a, b = request.GET.get("a", ""), request.GET.get("b", "")
    if a and b:
        if not (_number(a) and _number(b)):
            return HttpResponse("Choose two versions by number.", status=400)
        by_number = {d.number: d for d in drafts}
        old, new = by_number.get(int(a)), by_number.get(int(b))
        if old is None or new is None:
            return HttpResponse("No such version.", status=404)
        diff = diff_sections(old.sections, new.sections)
    return render(
        request,
        "publication/staff/versions.html",
        {"case": note.case, "note": note, "drafts": drafts, "diff": diff, "a": a, "b": b},
    )


def _post(request: HttpRequest, case: str, act: Any, done: str, anchor: str = "") -> HttpResponse:
    note = _note(request, case, need="write")
    try:
        act(note)
    except (RuleViolation, InvalidInput) as exc:
        refuse(request, exc)
    else:
        messages.success(request, done)
    return redirect(note_url(note.case, anchor))


def _review(note: Note, review_id: str) -> Review:
    if not _number(review_id):
        raise Http404
    found = Review.objects.filter(note=note, pk=int(review_id)).first()
    if found is None:
        raise Http404
    return found


@require_POST
@access("analyst")
def review_request(request: HttpRequest, case: str) -> HttpResponse:
    return _post(
        request,
        case,
        lambda note: actions.request_review(note, by=_user(request)),
        "Review requested.",
        "#review",
    )


@require_POST
@access("analyst")
def review_step(request: HttpRequest, case: str, review_id: str, step: str) -> HttpResponse:
    user = _user(request)

    def act(note: Note) -> None:
        review = _review(note, review_id)
        if step == "comment":
            form = CommentForm(request.POST)
            if not form.is_valid():
                raise InvalidInput("body", "Write the comment first.")
            actions.comment_review(review, form.cleaned_data["body"], form.cleaned_data["section"], by=user)
        elif step == "approve":
            actions.approve(review, by=user)
        else:
            actions.request_changes(review, by=user, reason=str(request.POST.get("reason", ""))[:2000])

    words = {"comment": "Comment added.", "approve": "Draft approved.", "changes": "Changes requested."}
    return _post(request, case, act, words[step], "#review")


@require_POST
@access("analyst")
def note_schedule(request: HttpRequest, case: str) -> HttpResponse:
    user = _user(request)
    zone = form_zone(request)
    with timezone.override(zoneinfo.ZoneInfo(zone.name)):
        form = ScheduleForm(request.POST, auto_id="schedule-%s")
        valid = form.is_valid()
    standing = access_case(user, case, need="write")
    if not standing.staff:
        raise Http404
    note = actions.note_for(standing.case, by=user)
    try:
        if not valid:
            raise InvalidInput("at", "Give the date and time of publication.")
        actions.schedule(
            note, form.cleaned_data["at"], by=user, override_reason=form.cleaned_data["override_reason"]
        )
    except (RuleViolation, InvalidInput) as exc:
        # Shown again with what was typed and the reason beside the field it concerns: a
        # redirect to #publish would lose the instant and leave the refusal off-screen.
        ends = standing.case.embargo_ends_at
        if isinstance(exc, RuleViolation) and exc.rule == "embargo-gate" and ends is not None:
            until = timezone.localtime(ends, zoneinfo.ZoneInfo(zone.name)).strftime("%Y-%m-%d %H:%M")
            messages.error(request, "Not scheduled: the embargo is still in force then (see Publication).")
            form.add_error(
                "override_reason",
                f"The embargo is in force until {until} ({zone.name}): to publish before, say why here.",
            )
        else:
            refuse(request, exc)
            if valid:
                add_error(form, exc)
        return _render_page(request, standing, note, schedule_form=form, status=400)
    messages.success(request, "Publication scheduled.")
    return redirect(note_url(note.case, "#publish"))


@require_POST
@access("analyst")
def note_cancel(request: HttpRequest, case: str) -> HttpResponse:
    return _post(
        request,
        case,
        lambda note: actions.cancel_schedule(note, by=_user(request)),
        "Scheduled publication cancelled.",
        "#publish",
    )


@require_POST
@access("analyst")
def note_share(request: HttpRequest, case: str) -> HttpResponse:
    return _post(
        request,
        case,
        lambda note: actions.share_draft(note, by=_user(request)),
        "The draft was posted to the vendors and the reporter.",
        "#share",
    )


@require_POST
@access("analyst")
def pending_approve(request: HttpRequest, case: str, revision_id: str) -> HttpResponse:
    def act(note: Note) -> None:
        if not _number(revision_id):
            raise Http404
        revision = note.revisions.filter(pk=int(revision_id)).first()
        if revision is None:
            raise Http404
        actions.approve_pending(revision, by=_user(request))

    return _post(request, case, act, "The pending revision is published.", "#pending")


@access("analyst")
def note_publish(request: HttpRequest, case: str) -> HttpResponse:
    """Publish now, after a confirmation page; the reason is the override reason when the
    embargo gate refuses, else the change summary."""
    user = _user(request)
    note = _note(request, case, need="write")
    gate = actions.gate_refuses(note.case, timezone.now())
    blocked = None
    if note.state == Note.State.PUBLISHED:
        blocked = "This note is already published: correct it to publish a new revision."
    elif actions.approved_review(note) is None:
        blocked = (
            f"Draft {note.draft_number} has no approved review: request one and have a publisher approve it."
        )
    elif not user.is_publisher:
        blocked = "Only a publisher can publish."
    happens = [
        f"Draft {note.draft_number} becomes revision 1 of the public Vulnerability Note, at once.",
        "The vendor table, statuses and statements are frozen in it as they are now.",
        "The case becomes public (P).",
    ]
    if gate:
        happens.insert(
            0, f"{gate}. Publishing now overrides it; your reason is recorded on the note's audit log."
        )
    page = Confirmation(
        title=f"Publish the note of {note.case.label}{' despite the embargo' if gate else ''}?",
        back_label="The note",
        back_url=note_url(note.case, "#publish"),
        happens=happens,
        undo="A published revision cannot be changed: a correction is a new revision, a withdrawal leaves a tombstone.",
        submit="Override the embargo and publish" if gate else "Publish now",
        reason_help="Why the embargo is overridden (required)."
        if gate
        else "A change summary for the revision history (optional).",
        facts=[Fact("Embargo ends", at=note.case.embargo_ends_at)] if gate else [],
        blocked=blocked,
    )

    def act(reason: str) -> str:
        if gate:
            actions.publish_now(note, by=user, override_reason=reason)
        else:
            actions.publish_now(note, by=user, summary=reason)
        return "The note is published."

    return confirm(request, page, act)


@access("analyst")
def note_withdraw(request: HttpRequest, case: str) -> HttpResponse:
    user = _user(request)
    note = _note(request, case, need="write")
    blocked = None
    if note.state != Note.State.PUBLISHED:
        blocked = "Only a published note can be withdrawn."
    elif not user.is_publisher:
        blocked = "Only a publisher can withdraw a note."
    page = Confirmation(
        title=f"Withdraw the note of {note.case.label}?",
        back_label="The note",
        back_url=note_url(note.case, "#publish"),
        happens=[
            "The public page becomes a tombstone that shows your reason.",
            "Every revision stays, readable to the coordinator's staff.",
        ],
        undo="This cannot be undone.",
        submit="Withdraw the note",
        reason_help="Why it is withdrawn: the public tombstone shows it.",
        blocked=blocked,
    )

    def act(reason: str) -> str:
        actions.withdraw(note, by=user, reason=reason)
        return "The note is withdrawn."

    return confirm(request, page, act)


@access("analyst")
def note_correct(request: HttpRequest, case: str) -> HttpResponse:
    user = _user(request)
    note = _note(request, case, need="write")
    blocked = None
    if note.state != Note.State.PUBLISHED:
        blocked = "Only a published note can be corrected."
    elif not user.is_publisher:
        blocked = "Only a publisher can correct a note."
    page = Confirmation(
        title=f"Publish a correction of {note.case.label}?",
        back_label="The note",
        back_url=note_url(note.case, "#publish"),
        happens=[
            f"Draft {note.draft_number} becomes the next revision, with the vendor table as it is now.",
            "Earlier revisions stay readable in the revision history.",
        ],
        undo="A published revision cannot be changed.",
        submit="Publish the correction",
        reason_help="The change summary (required): the revision history shows it.",
        blocked=blocked,
    )

    def act(reason: str) -> str:
        actions.correct(note, by=user, summary=reason)
        return "The correction is published."

    return confirm(request, page, act)
