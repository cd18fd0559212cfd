"""The Conversation tab of a case: its threads, one thread, what is new, topics, attachments.

Every page takes the case from the gate (access_case) and the threads from threads_visible;
every message is shown through the presenter (Viewer.message).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accord.cases.access import Standing, access_case, access_thread, threads_visible
from accord.cases.models import Participant
from accord.cases.presenter import Viewer
from accord.cases.views.cases import terms_only, workspace
from accord.cases.views.common import add_error, refuse
from accord.conversation import actions, queries
from accord.conversation.forms import AnalystMessageForm, MessageForm, TopicForm
from accord.conversation.models import Attachment, Thread
from accord.core.access import access
from accord.core.files import download
from accord.lib.errors import InvalidInput, RuleViolation
from accord.lib.ids import parse_id


def _standing(request: HttpRequest, case: str) -> Standing | HttpResponse:
    standing = access_case(request.user, case, need="terms")
    if standing.embargo_pending:
        return terms_only(request, standing, status=409)
    return standing


def thread_url(thread: Thread, anchor: str = "") -> str:
    return reverse("cases:thread", kwargs={"case": thread.case.url_ref, "thread_id": thread.pk}) + anchor  # type: ignore[union-attr]


def uploads(files: list[Any]) -> list[actions.Upload]:
    return [
        actions.Upload(name=f.name or "attachment", content=f.read(), content_type=f.content_type or "")
        for f in files
    ]


def message_views(viewer: Viewer, rows: Any) -> list[Any]:
    rows = list(rows)
    viewer.remember_actors(rows[0].thread.case_id if rows else None, [m.author for m in rows])
    return [viewer.message(m) for m in rows]


@access("object:case")
def conversation(request: HttpRequest, case: str) -> HttpResponse:
    """The threads this reader may read, with unread counts; analysts find a vendor's by name."""
    standing = _standing(request, case)
    if isinstance(standing, HttpResponse):
        return standing
    viewer = Viewer.of(standing)
    reader = queries.Reader(user=request.user)
    threads = threads_visible(standing)
    if not threads.filter(kind=Thread.Kind.CASE).exists():
        actions.discussion(standing.case)  # every case has its discussion, even before a word
        threads = threads_visible(standing)
    search = str(request.GET.get("q", "")).replace("\x00", "")[:100].strip()
    if search and standing.staff:
        threads = threads.filter(
            participant__in=Participant.objects.filter(viewer.name_matches(search), case=standing.case)
        )
    page = Paginator(queries.thread_list(threads, reader), queries.THREADS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    new_count = queries.new_messages(threads_visible(standing), reader).count()
    rows = [(t, queries.thread_label(t, viewer)) for t in page.object_list]
    context = workspace(request, standing, "conversation")
    context.update(
        {
            "page": page,
            "rows": rows,
            "new_count": new_count,
            "search": search,
            "query": f"q={search}" if search else "",
            "topic_form": _topic_form(standing) if standing.staff else None,
            "own_private": None if standing.staff else _own_private(standing),
        }
    )
    return render(request, "conversation/threads.html", context)


def _own_private(standing: Standing) -> Thread | None:
    own = standing.participant
    return actions.private_thread(own) if own is not None else None


def _topic_form(standing: Standing, data: Any = None) -> TopicForm:
    viewer = Viewer.of(standing)
    choices = [
        (str(p.pk), viewer.long_label(p))
        for p in Participant.objects.filter(case=standing.case)
        .exclude(kind=Participant.Kind.COORDINATOR)
        .exclude(embargo_answer=Participant.EmbargoAnswer.DECLINED)
        .select_related("organization", "user")
        .order_by("alias")
    ]
    return TopicForm(data, choices=choices, auto_id="topic-%s")


@access("object:thread")
def thread_page(request: HttpRequest, case: str, thread_id: str) -> HttpResponse:
    """One thread, in pages (the last page first), with its reply form; reading marks it read."""
    standing = _standing(request, case)
    if isinstance(standing, HttpResponse):
        return standing
    thread = access_thread(standing, thread_id)
    form_class = AnalystMessageForm if standing.staff and thread.kind == Thread.Kind.PRIVATE else MessageForm
    replying = parse_id(request.GET.get("reply"))
    form = form_class(
        request.POST or None, request.FILES or None, auto_id="msg-%s", initial={"reply_to": replying}
    )
    if request.method == "POST" and form.is_valid():
        reply_to = queries.reply_target(thread, form.cleaned_data.get("reply_to"))
        try:
            actions.post_message(
                thread,
                form.cleaned_data["body"],
                speaker=actions.speaker_in(standing, thread),
                reply_to=reply_to,
                request=bool(form.cleaned_data.get("request")),
                attachments=uploads(form.cleaned_data["attachments"]),
            )
        except (InvalidInput, RuleViolation) as exc:
            add_error(form, exc)
        else:
            flash.success(request, "Your message was sent.")
            return redirect(thread_url(thread, "#latest"))
    return _thread_response(request, standing, thread, form, status=400 if request.method == "POST" else 200)


def _thread_response(
    request: HttpRequest, standing: Standing, thread: Thread, form: Any, status: int
) -> HttpResponse:
    viewer = Viewer.of(standing)
    rows = queries.message_rows().filter(thread=thread).select_related("thread").order_by("created_at", "id")
    paginator = Paginator(rows, queries.MESSAGES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page") or paginator.num_pages)
    marker = (
        queries.Reader(user=request.user)
        .markers()
        .filter(thread=thread)
        .values_list("read_at", flat=True)
        .first()
    )
    actions.mark_read(thread, user=request.user)
    context = workspace(request, standing, "conversation")
    context.update(
        {
            "thread": thread,
            "thread_label": queries.thread_label(thread, viewer),
            "members": [viewer.long_label(p) for p in thread.members.select_related("organization", "user")]
            if thread.kind == Thread.Kind.TOPIC
            else [],
            "page": page,
            "entries": message_views(viewer, page.object_list),
            "read_before": marker,
            "form": form,
            "may_close": standing.staff,
            "members_form": _topic_form(standing, None)
            if standing.staff and thread.kind == Thread.Kind.TOPIC
            else None,
            "member_ids": [str(p) for p in thread.members.values_list("pk", flat=True)]
            if thread.kind == Thread.Kind.TOPIC
            else [],
        }
    )
    return render(request, "conversation/thread.html", context, status=status)


@access("analyst")
def private_with(request: HttpRequest, case: str, participant_id: str) -> HttpResponse:
    """An analyst opens the private thread with one participant (it is made on first use)."""
    standing = access_case(request.user, case, need="write")
    number = parse_id(participant_id)
    participant = (
        Participant.objects.filter(case=standing.case, pk=number)
        .exclude(kind=Participant.Kind.COORDINATOR)
        .first()
        if number
        else None
    )
    if participant is None:
        raise Http404("No such participant.")
    return redirect(thread_url(actions.private_thread(participant)))


@access("object:case")
def own_private(request: HttpRequest, case: str) -> HttpResponse:
    """A participant's own private thread with the coordinators."""
    standing = _standing(request, case)
    if isinstance(standing, HttpResponse):
        return standing
    standing.check("read")
    thread = _own_private(standing)
    if thread is None:
        return redirect(reverse("cases:conversation", kwargs={"case": standing.case.url_ref}))
    return redirect(thread_url(thread))


@access("object:case")
def whats_new(request: HttpRequest, case: str) -> HttpResponse:
    """Every message this reader has not read yet, across the threads they may read."""
    standing = _standing(request, case)
    if isinstance(standing, HttpResponse):
        return standing
    viewer = Viewer.of(standing)
    reader = queries.Reader(user=request.user)
    visible = threads_visible(standing)
    if request.method == "POST":
        for thread in visible.filter(pk__in=queries.new_messages(visible, reader).values("thread")):
            actions.mark_read(thread, user=request.user)
        flash.success(request, "Everything is marked as read.")
        return redirect(reverse("cases:whats_new", kwargs={"case": standing.case.url_ref}))
    page = Paginator(queries.new_messages(visible, reader), queries.MESSAGES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    entries = message_views(viewer, page.object_list)
    context = workspace(request, standing, "conversation")
    context.update(
        {
            "page": page,
            "entries": [
                (e, queries.thread_label(e.message.thread, viewer), thread_url(e.message.thread))
                for e in entries
            ],
        }
    )
    return render(request, "conversation/whats_new.html", context)


@require_POST
@access("analyst")
def topic_new(request: HttpRequest, case: str) -> HttpResponse:
    standing = access_case(request.user, case, need="write")
    form = _topic_form(standing, request.POST)
    if form.is_valid():
        wanted = [int(v) for v in form.cleaned_data["members"]]
        members = list(Participant.objects.filter(case=standing.case, pk__in=wanted))
        try:
            thread = actions.open_topic(standing.case, form.cleaned_data["title"], members, by=request.user)  # type: ignore[arg-type]
        except (InvalidInput, RuleViolation) as exc:
            add_error(form, exc)
        else:
            flash.success(request, "The topic is open.")
            return redirect(thread_url(thread))
    for field, errors in form.errors.items():
        for error in errors:
            flash.error(request, f"{field}: {error}" if field != "__all__" else str(error))
    return redirect(reverse("cases:conversation", kwargs={"case": standing.case.url_ref}) + "#topic")


@require_POST
@access("analyst")
def topic_members(request: HttpRequest, case: str, thread_id: str) -> HttpResponse:
    """An analyst chooses who reads a topic."""
    standing = access_case(request.user, case, need="write")
    thread = access_thread(standing, thread_id)
    form = _topic_form(
        standing, {"title": thread.title or "topic", "members": request.POST.getlist("members")}
    )
    if form.is_valid():
        wanted = [int(v) for v in form.cleaned_data["members"]]
        try:
            actions.set_topic_members(
                thread,
                list(Participant.objects.filter(case=standing.case, pk__in=wanted)),
                by=request.user,  # type: ignore[arg-type]
            )
        except (InvalidInput, RuleViolation) as exc:
            refuse(request, exc)
        else:
            flash.success(request, "The topic's participants are saved.")
    else:
        flash.error(request, "Choose at least one participant.")
    return redirect(thread_url(thread, "#members"))


@require_POST
@access("analyst")
def request_close(request: HttpRequest, case: str, thread_id: str, message_id: str) -> HttpResponse:
    standing = access_case(request.user, case, need="write")
    thread = access_thread(standing, thread_id)
    number = parse_id(message_id)
    message = thread.messages.filter(pk=number).first() if number else None
    if message is None:
        raise Http404("No such message.")
    try:
        actions.close_request(message, by=request.user)  # type: ignore[arg-type]
    except RuleViolation as exc:
        refuse(request, exc)
    else:
        flash.success(request, "The request is closed.")
    return redirect(thread_url(thread, f"#m{message.pk}"))


@access("object:thread")
def attachment(request: HttpRequest, case: str, file_id: str) -> FileResponse:
    """A file attached to a message, for readers of its thread only; always a download."""
    standing = access_case(request.user, case, need="read")
    found = queries.visible_file(standing, file_id)
    return download(found.file, found.name)


def report_file(report: Any, attachment_id: Any) -> FileResponse:
    """A file of a report's thread with the reporter (the caller reached the report already)."""
    number = parse_id(attachment_id)
    found = Attachment.objects.filter(pk=number, message__thread__report=report).first() if number else None
    if found is None:
        raise Http404("No such file.")
    return download(found.file, found.name)


@access("analyst")
def statement_from_mail(request: HttpRequest, case: str, mail_id: str) -> HttpResponse:
    """An analyst makes a vendor's signed mail its statement: GET shows what will happen and the
    signed text, POST (confirm=yes) does it (accord.answers.actions.statement_from_mail)."""
    from accord.answers.actions import ASK_CLEARSIGNED
    from accord.answers.actions import statement_from_mail as make_statement
    from accord.mailgate.models import InboundMessage

    standing = access_case(request.user, case, need="write")
    number = parse_id(mail_id)
    inbound = (
        InboundMessage.objects.filter(pk=number, case=standing.case, posted_message__isnull=False)
        .select_related("participant__organization", "posted_message__thread")
        .defer("raw")
        .first()
        if number
        else None
    )
    if inbound is None or inbound.posted_message is None:
        raise Http404("No such mail in this case.")
    back = thread_url(inbound.posted_message.thread, f"#m{inbound.posted_message_id}")
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        try:
            statement = make_statement(inbound, by=request.user)  # type: ignore[arg-type]
        except RuleViolation as exc:
            flash.error(request, f"Refused: {exc.message} (rule: {exc.rule}).")
        else:
            flash.success(request, f"The mail is now the vendor's statement, version {statement.version}.")
        return redirect(back)
    viewer = Viewer.of(standing)
    signed = bytes(inbound.signed_data) if inbound.signed_data is not None else b""
    blocked = ""
    if not signed:
        blocked = ASK_CLEARSIGNED if inbound.signature else "This mail carries no signed text."
    context = workspace(request, standing, "conversation")
    context.update(
        {
            "inbound": inbound,
            "vendor": viewer.long_label(inbound.participant) if inbound.participant else "",
            "mail": viewer.mail(inbound.posted_message),
            "signed_text": signed.decode("utf-8", "replace"),
            "blocked": blocked,
            "back": back,
        }
    )
    return render(request, "conversation/statement_from_mail.html", context)
