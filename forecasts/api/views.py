"""The REST API of SPEC.md. Views validate, call one service or selector, and serialize."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import Count, Prefetch
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import filters, generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from forecasts import exports, selectors
from forecasts.api import serializers as s
from forecasts.api.authentication import TokenAuthentication
from forecasts.api.pagination import RankingPagination
from forecasts.filters import CheckFilter, PredictionFilter, QuestionFilter
from forecasts.slugs import analyst_at
from forecasts.models import Analyst, IngestJob, Prediction, Question, Resolution, ResolutionCheck, Source
from forecasts.services import checks, drafts, jobs, predictions, questions, tokens
from forecasts.services.rules import Conflict, NotAllowed, StaleVersion


def exception_handler(exc, context):
    """The services' refusals, model validation and lost races become 403, 409 and 400, never 500."""
    if isinstance(exc, StaleVersion):
        return Response({"detail": str(exc), "current_version": exc.current_version}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, NotAllowed):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Conflict):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DataError):
        # The database refused a value the serializers let through (out of range, a NUL character): bad input.
        return Response({"detail": "A value in the request cannot be stored or compared."}, status=400)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def _validated_query(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class ObtainTokenView(APIView):
    """Trade a username and password for a new API token, which expires after API_TOKEN_TTL (default 30 days)."""

    # As DRF's ObtainAuthToken, which this view replaced: open to anyone, answers JSON, no throttle classes of its
    # own (forecasts/guard.py limits the doors that check a password).
    throttle_classes = ()
    permission_classes = ()
    renderer_classes = (JSONRenderer,)

    @extend_schema(request=s.TokenRequestSerializer, responses={200: s.TokenResponseSerializer}, auth=[])
    def post(self, request, *args, **kwargs):
        serializer = s.TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, secret = tokens.token_create(user=serializer.validated_data["user"])
        return Response(s.TokenResponseSerializer({"token": secret, "expiry": token.expiry}).data)


class LogoutView(APIView):
    """Revoke the token this request is sent with (a session logs out at /api-auth/logout/)."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout",
                   summary="Log out: revoke the token in this request's Authorization header")
    def post(self, request, *args, **kwargs):
        tokens.token_logout(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(get=extend_schema(operation_id="auth_tokens_list",
                                      summary="Your tokens that still work, newest first (`current`: this request's)"))
class TokenListView(generics.ListAPIView):
    serializer_class = s.ApiTokenSerializer
    permission_classes = [IsAuthenticated]
    filter_backends = []

    def get_queryset(self):
        return tokens.tokens_of(self.request.user)


class TokenRevokeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None}, operation_id="auth_tokens_revoke",
                   summary="Revoke one of your tokens, named by its token_key (someone else's: 404)")
    def delete(self, request, token_key: str, *args, **kwargs):
        if not tokens.token_revoke(user=request.user, token_key=token_key):
            raise NotFound("You have no token with this key.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnalystViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Analyst.objects.prefetch_related("aliases").order_by("name")
    serializer_class = s.AnalystSerializer
    lookup_field = "slug"
    read_permission = "forecasts.view_analyst"
    filter_backends = [filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["name", "slug", "affiliation", "aliases__name"]
    ordering_fields = ["name", "slug"]

    @extend_schema(responses={200: s.AnalystSerializer, 301: OpenApiResponse(description="Merged into another analyst.")})
    def retrieve(self, request, *args, slug=None, **kwargs):
        analyst = analyst_at(request, slug)
        if not isinstance(analyst, Analyst):
            return analyst
        return Response(self.get_serializer(analyst).data)

    @extend_schema(
        parameters=[s.CalibrationQuerySerializer],
        responses={200: s.CalibrationSerializer, 301: OpenApiResponse(description="Merged into another analyst.")},
        summary="One analyst's calibration: scores, every bin, and the five-term decomposition",
    )
    @action(detail=True, methods=["get"])
    def calibration(self, request, slug=None):
        analyst = analyst_at(request, slug)
        if not isinstance(analyst, Analyst):
            return analyst
        query = _validated_query(s.CalibrationQuerySerializer, request)
        report = selectors.calibration_for_analyst(analyst=analyst, **query)
        payload = {**report.__dict__, "analyst": analyst.slug}
        return Response(s.CalibrationSerializer(payload).data)


@extend_schema_view(
    get=extend_schema(
        parameters=[s.LeaderboardQuerySerializer],
        summary="The leaderboard: every analyst with enough resolved predictions, scored",
    )
)
class LeaderboardView(generics.ListAPIView):
    serializer_class = s.LeaderboardRowSerializer
    read_permission = "forecasts.view_analyst"
    filter_backends = []
    # One aggregate per request, reading only the page's rows: not every prediction twice (once for the page, once
    # more for the count), nor every analyst's row to serve fifty.
    pagination_class = RankingPagination

    def get_queryset(self):
        return selectors.leaderboard(**_validated_query(s.LeaderboardQuerySerializer, self.request))


class QuestionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    read_permission = "forecasts.view_question"
    write_permissions = {
        "create": "forecasts.add_question",
        "partial_update": "forecasts.change_question",
        "resolve": "forecasts.add_resolution",
        "unresolve": "forecasts.add_resolution",
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = QuestionFilter
    search_fields = ["title", "resolution_criteria", "key"]
    ordering_fields = ["resolve_by", "created_at", "id", "title"]
    ordering = ["resolve_by", "id"]

    def get_queryset(self):
        questions = Question.objects.select_related("owner").prefetch_related("topics")
        if self.action == "retrieve":
            history = Resolution.objects.select_related("resolved_by").order_by("-resolved_at", "-id")
            questions = questions.prefetch_related(Prefetch("resolutions", queryset=history))
        return questions

    def get_serializer_class(self):
        return s.QuestionDetailSerializer if self.action == "retrieve" else s.QuestionSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        topics = data.pop("topics", [])
        data.pop("version", None)
        serializer.instance = questions.question_create(data=data, topics=topics, user=self.request.user)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        topics = data.pop("topics", None)
        expected_version = data.pop("version", None)
        serializer.instance = questions.question_update(
            question_id=serializer.instance.pk,
            data=data,
            topics=topics,
            expected_version=expected_version,
            user=self.request.user,
        )

    def _judged(self, question_id: int) -> Response:
        question = self.get_queryset().prefetch_related("resolutions").get(pk=question_id)
        return Response(s.QuestionDetailSerializer(question).data)

    @extend_schema(
        request=s.ResolveSerializer,
        responses={200: s.QuestionDetailSerializer, 409: OpenApiResponse(description="The version is stale.")},
        summary="Resolve: append a judgement (yes, no, ambiguous, annulled) with evidence",
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        question = self.get_object()
        body = s.ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        questions.question_resolve(
            question_id=question.pk,
            outcome=body.validated_data["outcome"],
            evidence=body.validated_data["evidence"],
            evidence_url=body.validated_data["evidence_url"],
            user=request.user,
            expected_version=body.validated_data["version"],
        )
        return self._judged(question.pk)

    @extend_schema(
        request=s.UnresolveSerializer,
        responses={200: s.QuestionDetailSerializer, 409: OpenApiResponse(description="The version is stale.")},
        summary="Un-resolve: append a row that reopens the question, with the reason",
    )
    @action(detail=True, methods=["post"])
    def unresolve(self, request, pk=None):
        question = self.get_object()
        body = s.UnresolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        questions.question_unresolve(
            question_id=question.pk,
            reason=body.validated_data["reason"],
            user=request.user,
            expected_version=body.validated_data.get("version"),
        )
        return self._judged(question.pk)


class PredictionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Prediction.objects.select_related("analyst", "question", "phrase")
    serializer_class = s.PredictionSerializer
    read_permission = "forecasts.view_prediction"
    write_permissions = {"create": "forecasts.add_prediction", "partial_update": "forecasts.change_prediction"}
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = PredictionFilter
    search_fields = ["quote", "hedge_phrase", "analyst__name", "question__title"]
    ordering_fields = ["made_at", "probability", "id"]
    ordering = ["-made_at", "id"]

    def perform_create(self, serializer):
        serializer.instance = predictions.prediction_create(data=serializer.validated_data, user=self.request.user)

    def perform_update(self, serializer):
        serializer.instance = predictions.prediction_update(
            prediction_id=serializer.instance.pk, data=serializer.validated_data, user=self.request.user
        )

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="Every prediction (filters apply) with its question's outcome, as CSV in the import format",
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        predictions = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(exports.predictions_export(predictions=predictions), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="hindsight-predictions.csv"'
        return response


class SourceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Source.objects.annotate(prediction_count=Count("predictions")).order_by("-published_at", "id")
    serializer_class = s.SourceSerializer
    read_permission = "forecasts.view_source"
    write_permissions = {"create": "forecasts.add_source"}
    search_fields = ["title", "publisher", "url"]
    ordering_fields = ["published_at", "id"]

    @extend_schema(
        request=s.SourceIngestSerializer,
        parameters=[
            OpenApiParameter(
                "Location", OpenApiTypes.STR, location=OpenApiParameter.HEADER, response=[202],
                description="The job to poll: /api/v1/ingest-jobs/{id}/",
            )
        ],
        responses={
            201: OpenApiResponse(
                s.SourceIngestResponseSerializer,
                description="Read at once (the text is within INGEST_SYNC_MAX_BYTES, 25 KB): the source and its drafts.",
            ),
            202: OpenApiResponse(
                s.IngestJobSerializer,
                description="Larger (up to 1 MB): queued for a worker. Poll the job at Location until its status is "
                "done (then it holds the source and drafts) or failed.",
            ),
            503: OpenApiResponse(
                OpenApiTypes.OBJECT, description="The job could not be queued (the task queue is down): {\"detail\": …}; "
                "try again after Retry-After seconds.",
            ),
        },
        summary="Ingest an article: keep it as a source and propose draft predictions for review",
        description="One contract for every size: an article that cannot be read (empty, over 1 MB, NUL characters, "
        "a published_at outside 1900–2200, a URL that names another text) is a 400 at once. Within the synchronous "
        "budget the answer is 201 with the source and drafts; above it, 202 with the job and its Location.",
    )
    def create(self, request, *args, **kwargs):
        body = s.SourceIngestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = jobs.article_submit(**body.validated_data, user=request.user)
        except drafts.IngestError as exc:
            return Response({"text": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        if isinstance(result, drafts.IngestReport):
            payload = {"source": result.source, "drafts": result.drafts}
            return Response(s.SourceIngestResponseSerializer(payload).data, status=status.HTTP_201_CREATED)
        if result.status == IngestJob.Status.FAILED:
            return Response({"detail": result.error}, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "60"})
        location = reverse("api:ingest-job-detail", args=[result.pk])
        return Response(s.IngestJobSerializer(result).data, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


@extend_schema_view(
    retrieve=extend_schema(
        summary="An article being read by a worker: status, progress and, when done, the source and its drafts",
        description="Only the user who posted the article, or an admin, sees the job; anyone else gets 404.",
    )
)
class IngestJobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.IngestJobSerializer
    read_permission = "forecasts.view_source"
    filter_backends = []
    pagination_class = None

    def get_queryset(self):
        return selectors.jobs_visible_to(user=self.request.user, kind=IngestJob.Kind.ARTICLE)


class PhraseCalibrationView(generics.GenericAPIView):
    """Calibration by hedge word: for each phrase of the phrase table, how many claims made with it came true."""

    read_permission = "forecasts.view_probabilityphrase"
    serializer_class = s.PhraseCalibrationResponseSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(parameters=[s.PhraseCalibrationQuerySerializer], responses={200: s.PhraseCalibrationResponseSerializer})
    def get(self, request):
        query = _validated_query(s.PhraseCalibrationQuerySerializer, request)
        analyst = get_object_or_404(Analyst, slug=query["analyst"]) if query.get("analyst") else None
        report = selectors.phrase_calibration(analyst=analyst)
        return Response({"results": s.PhraseCalibrationSerializer(report, many=True).data})


class ResolutionCheckViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    queryset = ResolutionCheck.objects.select_related("assigned_to")
    serializer_class = s.ResolutionCheckSerializer
    read_permission = "forecasts.view_resolutioncheck"
    write_permissions = {"create": "forecasts.change_resolutioncheck", "snooze": "forecasts.change_resolutioncheck"}
    filterset_class = CheckFilter
    ordering_fields = ["due_at", "id"]
    ordering = ["due_at", "id"]

    def perform_create(self, serializer):
        serializer.instance = checks.check_create(**serializer.validated_data, user=self.request.user)

    @extend_schema(
        request=s.SnoozeSerializer,
        responses={200: s.ResolutionCheckSerializer, 409: OpenApiResponse(description="The check is done.")},
        summary="Snooze: not yet knowable; look again on the given date",
    )
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        check = self.get_object()
        body = s.SnoozeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        check = checks.check_snooze(check_id=check.pk, until=body.validated_data["until"], user=request.user)
        return Response(s.ResolutionCheckSerializer(check).data)

