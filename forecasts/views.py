"""The analysts' pages. Views validate, call one service or selector, and render; no scoring here."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from forecasts import charts, selectors
from forecasts.filters import QuestionPageFilter
from forecasts.forms import (
    ArticleForm,
    DraftAcceptForm,
    LeaderboardForm,
    ResolveForm,
    SnoozeForm,
    UnresolveForm,
    add_refusal,
)
from forecasts.services import checks, drafts, questions, tokens
from forecasts.services.rules import Conflict, RuleBroken, StaleVersion
from forecasts.models import (
    Analyst, DraftPrediction, IngestJob, Prediction, Question, Resolution, ResolutionCheck, Source,
)
from forecasts.slugs import analyst_at
from forecasts.text import quote_context, quote_spans

VIEW = "forecasts.view_question"


def _reader(view):
    """Logged in (else to the login page) and allowed to read (else 403)."""
    return login_required(permission_required(VIEW, raise_exception=True)(view))


# --- errors ---------------------------------------------------------------------------------------------------


def not_found(request, exception=None):
    """404: JSON under /api/ (a client is asking), the helpful page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error; the admins have been told."}, status=500)
    return render(request, "500.html", status=500)


# --- dashboard ------------------------------------------------------------------------------------------------


def _with_overdue(items, now):
    for check in items:
        check.days_overdue = max((now - check.due_at).days, 0)
    return items


@_reader
def dashboard(request):
    now = timezone.now()
    my_checks = _with_overdue(
        list(
            ResolutionCheck.objects.filter(assigned_to=request.user, status__in=ResolutionCheck.WAITING)
            .select_related("question")
            .order_by("due_at", "pk")
        ),
        now,
    )
    recent = (
        Resolution.objects.exclude(outcome=Resolution.REOPENED)
        .select_related("question", "resolved_by")
        .order_by("-resolved_at", "-pk")[:8]
    )
    figures = Question.objects.aggregate(
        open=Count("pk", filter=Q(outcome="")),
        due=Count("pk", filter=Q(outcome="", resolve_by__lte=now)),
        resolved=Count("pk", filter=Q(outcome__in=["yes", "no"])),
    )
    figures["predictions"] = Prediction.objects.count()
    figures["my_checks"] = len(my_checks)
    figures["snoozed"] = ResolutionCheck.objects.filter(assigned_to=request.user, status="snoozed").count()
    return render(request, "forecasts/dashboard.html", {"my_checks": my_checks, "recent": recent, "figures": figures})


# --- questions ------------------------------------------------------------------------------------------------


@_reader
def question_list(request):
    listed = Question.objects.prefetch_related("topics").annotate(prediction_count=Count("predictions"))
    filterset = QuestionPageFilter(request.GET or None, queryset=listed)
    form = filterset.form
    found = filterset.qs if filterset.is_valid() else listed
    page = Paginator(found.order_by("resolve_by", "pk"), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "forecasts/question_list.html", {"form": form, "page": page, "query": query.urlencode()})


def _question_page(request, question_id: int, *, resolve_form=None, unresolve_form=None, snooze_form=None, status=200):
    question = get_object_or_404(
        Question.objects.select_related("owner").prefetch_related(
            "topics",
            Prefetch("predictions", queryset=Prediction.objects.select_related("analyst", "source", "phrase")),
            Prefetch("resolutions", queryset=Resolution.objects.select_related("resolved_by").order_by("-resolved_at", "-pk")),
        ),
        pk=question_id,
    )
    predictions = list(question.predictions.all())
    for prediction in predictions:
        prediction.context = quote_context(prediction.source.text, prediction.quote) if prediction.source else None
    open_check = (
        question.checks.filter(status__in=ResolutionCheck.NOT_DONE).order_by("-due_at").first()
    )
    user = request.user
    context = {
        "question": question,
        "predictions": predictions,
        "history": list(question.resolutions.all()),
        "open_check": open_check,
        "can_resolve": user.has_perm("forecasts.add_resolution"),
        "can_snooze": user.has_perm("forecasts.change_resolutioncheck"),
        "resolve_form": resolve_form or ResolveForm(initial={"version": question.version}),
        "unresolve_form": unresolve_form or UnresolveForm(initial={"version": question.version}),
        "snooze_form": snooze_form or SnoozeForm(),
    }
    return render(request, "forecasts/question_detail.html", context, status=status)


@_reader
def question_detail(request, question_id: int):
    return _question_page(request, question_id)


@login_required
@permission_required("forecasts.add_resolution", raise_exception=True)
@require_POST
def question_resolve(request, question_id: int):
    question = get_object_or_404(Question, pk=question_id)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _question_page(request, question.pk, resolve_form=form, status=400)
    try:
        questions.question_resolve(
            question_id=question.pk,
            outcome=form.cleaned_data["outcome"],
            evidence=form.cleaned_data["evidence"],
            evidence_url=form.cleaned_data["evidence_url"],
            user=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except StaleVersion:
        messages.warning(
            request,
            "Someone resolved or edited this question meanwhile. Nothing was saved: read what it says now, "
            "and resolve again if you still disagree.",
        )
        return _question_page(request, question.pk, status=409)
    messages.success(request, f"Resolved “{question.title}” as {form.cleaned_data['outcome']}.")
    return redirect(question)


@login_required
@permission_required("forecasts.add_resolution", raise_exception=True)
@require_POST
def question_unresolve(request, question_id: int):
    question = get_object_or_404(Question, pk=question_id)
    form = UnresolveForm(request.POST)
    if not form.is_valid():
        return _question_page(request, question.pk, unresolve_form=form, status=400)
    try:
        questions.question_unresolve(
            question_id=question.pk,
            reason=form.cleaned_data["reason"],
            user=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except StaleVersion:
        messages.warning(request, "Someone changed this question meanwhile. Nothing was saved: look again.")
        return _question_page(request, question.pk, status=409)
    except Conflict as exc:
        messages.info(request, str(exc))
        return redirect(question)
    messages.success(request, "Reopened. Its earlier judgements stay in the history.")
    return redirect(question)


@login_required
@permission_required("forecasts.change_resolutioncheck", raise_exception=True)
@require_POST
def check_snooze(request, check_id: int):
    check = get_object_or_404(ResolutionCheck, pk=check_id)
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        return _question_page(request, check.question_id, snooze_form=form, status=400)
    try:
        checks.check_snooze(check_id=check.pk, until=form.cleaned_data["until_datetime"], user=request.user)
    except DjangoValidationError as exc:
        add_refusal(form, exc)
        return _question_page(request, check.question_id, snooze_form=form, status=400)
    except Conflict as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, f"Snoozed until {form.cleaned_data['until']:%d %B %Y}; it will come back then.")
    return redirect(check.question)


# --- analysts -------------------------------------------------------------------------------------------------


@_reader
def analyst_list(request):
    form = LeaderboardForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else LeaderboardForm.DEFAULTS
    board = list(selectors.leaderboard(**params))
    analysts = Analyst.objects.annotate(prediction_count=Count("predictions")).order_by("name")
    return render(
        request,
        "forecasts/analyst_list.html",
        {"form": form, "board": board, "analysts": analysts, "ordering": params["ordering"]},
    )


@_reader
def analyst_detail(request, slug: str):
    analyst = analyst_at(request, slug)
    if not isinstance(analyst, Analyst):
        return analyst
    report = selectors.calibration_for_analyst(analyst=analyst)
    predictions = analyst.predictions.select_related("question", "source").order_by("-made_at", "pk")
    chart = mark_safe(charts.calibration_svg(report, title=f"Calibration of {analyst.name}"))
    return render(
        request,
        "forecasts/analyst_detail.html",
        {"analyst": analyst, "report": report, "chart": chart, "predictions": predictions},
    )


@_reader
def analyst_chart(request, slug: str):
    """The calibration chart alone, as an image at a stable URL, for embedding."""
    analyst = analyst_at(request, slug)
    if not isinstance(analyst, Analyst):
        return analyst
    report = selectors.calibration_for_analyst(analyst=analyst)
    svg = charts.calibration_svg(report, title=f"Calibration of {analyst.name}")
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=60"
    return response


# --- sources --------------------------------------------------------------------------------------------------


@_reader
def source_list(request):
    sources = Source.objects.annotate(prediction_count=Count("predictions")).order_by("-published_at", "pk")
    return render(request, "forecasts/source_list.html", {"sources": sources})


@_reader
def source_detail(request, source_id: int):
    source = get_object_or_404(Source, pk=source_id)
    predictions = list(source.predictions.select_related("analyst", "question"))

    def mark(prediction, quoted: str) -> str:
        href = f"{reverse('question-detail', args=[prediction.question_id])}#prediction-{prediction.pk}"
        return (
            f'<mark id="quote-{prediction.pk}"><a href="{href}" title="{escape(prediction.analyst.name)}: '
            f'{prediction.probability:.0%} on “{escape(prediction.question.title)}”">{escape(quoted)}</a></mark>'
        )

    article, found = _highlighted(source.text, [(p.quote, p, None) for p in predictions], mark)
    return render(
        request,
        "forecasts/source_detail.html",
        {"source": source, "article": article, "predictions": predictions, "found": found},
    )


def _highlighted(text: str, quotes: list[tuple[str, object, int | None]], mark) -> tuple[str, int]:
    """The text as HTML paragraphs with each quote wrapped by mark(tag, quoted_text); and how many were found."""
    spans = quote_spans(text, quotes)
    html, position = [], 0
    for start, end, tag in spans:
        html.append(escape(text[position:start]))
        html.append(mark(tag, text[start:end]))
        position = end
    html.append(escape(text[position:]))
    paragraphs = "".join(f"<p>{paragraph}</p>" for paragraph in "".join(html).split("\n\n") if paragraph.strip())
    return mark_safe(paragraphs), len(spans)


# --- drafts: articles read for forecasts ----------------------------------------------------------------------


@_reader
def draft_sources(request):
    """Ingest an article; the sources whose drafts wait for review."""
    form = ArticleForm()
    if request.method == "POST":
        if not request.user.has_perm("forecasts.add_source"):
            raise PermissionDenied
        form = ArticleForm(request.POST, request.FILES)
        result = form.ingest(user=request.user)
        if isinstance(result, IngestJob):  # above the synchronous budget: a worker reads it; follow its progress
            return redirect("job-detail", job_id=result.pk)
        if result is not None:
            messages.info(request, f"Read: {result}.")
            return redirect("source-drafts", source_id=result.source.pk)
    sources = (
        Source.objects.annotate(
            pending=Count("drafts", filter=Q(drafts__status="pending")), drafted=Count("drafts")
        )
        .filter(drafted__gt=0)
        .order_by("-pending", "-created_at")
    )
    reading = selectors.jobs_unfinished(user=request.user, kind=IngestJob.Kind.ARTICLE)
    return render(request, "forecasts/draft_sources.html", {"form": form, "sources": sources, "reading": reading},
                  status=400 if form.errors else 200)


@_reader
def job_detail(request, job_id: int):
    """An article being read by a worker: its progress, refreshed by the page itself (no script) until it is done,
    then a link to its drafts. Only its user or an admin sees it (anyone else: 404)."""
    job = get_object_or_404(selectors.jobs_visible_to(user=request.user, kind=IngestJob.Kind.ARTICLE), pk=job_id)
    return render(request, "forecasts/job_detail.html", {"job": job, "refresh_seconds": None if job.finished else 2})


def _draft_page(request, source_id: int, *, forms_by_id=None, status=200):
    source = get_object_or_404(Source, pk=source_id)
    drafts = list(source.drafts.select_related("analyst", "phrase", "prediction"))
    forms_by_id = forms_by_id or {}
    # Every draft's form offers the same analysts and phrase rows: read them once, not once per form.
    choices = {name: list(DraftAcceptForm.base_fields[name].choices) for name in ("analyst", "phrase")}
    for draft in drafts:
        draft.form = forms_by_id.get(draft.pk) or DraftAcceptForm(draft=draft)
        for name, options in choices.items():
            draft.form.fields[name].choices = options
    article, _ = _highlighted(
        source.text,
        [(d.quote, d, d.quote_start) for d in drafts],
        lambda draft, quoted: f'<mark id="quote-{draft.pk}" class="draft-{draft.status}"><a href="#draft-{draft.pk}">'
        f"{escape(quoted)}</a></mark>",
    )
    return render(
        request,
        "forecasts/source_drafts.html",
        {"source": source, "drafts": drafts, "article": article,
         "can_review": request.user.has_perm("forecasts.add_prediction")},
        status=status,
    )


@_reader
def source_drafts(request, source_id: int):
    return _draft_page(request, source_id)


@login_required
@permission_required("forecasts.add_prediction", raise_exception=True)
@require_POST
def draft_accept(request, draft_id: int):
    draft = get_object_or_404(DraftPrediction, pk=draft_id)
    form = DraftAcceptForm(request.POST, draft=draft)
    if form.is_valid():
        data = form.cleaned_data
        days = data.pop("check_every_days")
        try:
            prediction = drafts.draft_accept(
                draft_id=draft.pk, user=request.user, check_every=dt.timedelta(days=days) if days else None, **data
            )
        except drafts.DraftNotPending as exc:
            messages.error(request, str(exc))
            return redirect(f"{reverse('source-drafts', args=[draft.source_id])}#draft-{draft.pk}")
        except (ValueError, DjangoValidationError, RuleBroken) as exc:
            add_refusal(form, exc)
        else:
            messages.info(request, f"Accepted: {prediction.analyst.name} on “{prediction.question.title}”.")
            return redirect(f"{reverse('source-drafts', args=[draft.source_id])}#draft-{draft.pk}")
    return _draft_page(request, draft.source_id, forms_by_id={draft.pk: form}, status=400)


@login_required
@permission_required("forecasts.add_prediction", raise_exception=True)
@require_POST
def draft_reject(request, draft_id: int):
    draft = get_object_or_404(DraftPrediction, pk=draft_id)
    try:
        drafts.draft_reject(draft_id=draft.pk, user=request.user)
        messages.info(request, "Rejected.")
    except drafts.DraftNotPending as exc:
        messages.error(request, str(exc))
    return redirect(f"{reverse('source-drafts', args=[draft.source_id])}#draft-{draft.pk}")


@_reader
def phrase_calibration(request):
    """Calibration by hedge word: what each phrase of the table turned out to be worth."""
    analyst = get_object_or_404(Analyst, slug=request.GET["analyst"]) if request.GET.get("analyst") else None
    entries = selectors.phrase_calibration(analyst=analyst)
    title = f"Hedge words: {analyst.name}" if analyst else "Hedge words: every analyst"
    return render(
        request,
        "forecasts/phrase_calibration.html",
        {"entries": entries, "analyst": analyst, "chart": mark_safe(charts.phrase_svg(entries, title=title))},
    )


# --- API tokens -----------------------------------------------------------------------------------------------


@login_required
def token_list(request):
    """Your API tokens that still work, each with a Revoke button (POST /api/v1/auth/token/ makes one)."""
    page = Paginator(tokens.tokens_of(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "registration/tokens.html", {"page": page})


@login_required
@require_POST
def token_revoke(request, token_key: str):
    if not tokens.token_revoke(user=request.user, token_key=token_key):
        raise Http404("You have no token with this key.")
    messages.success(request, f"Revoked the token {token_key}…; a client that sends it now gets 401.")
    return redirect("token-list")
