"""The REST API of SPEC.md. Views validate, call one service or selector, and serialize."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.db.models import Count, Prefetch
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import filters, generics, mixins, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from forecasts import exports, selectors
from forecasts.api import serializers as s
from forecasts.filters import CheckFilter, PredictionFilter, QuestionFilter
from forecasts.views import analyst_at
from forecasts.models import Analyst, Prediction, Question, Resolution, ResolutionCheck, Source
from forecasts.services import checks, drafts, predictions, questions
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


class ObtainTokenView(ObtainAuthToken):
    """Trade a username and password for an API token."""

    @extend_schema(request=s.TokenRequestSerializer, responses={200: s.TokenResponseSerializer}, auth=[])
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


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

    def get_queryset(self):
        return selectors.leaderboard(**_validated_query(s.LeaderboardQuerySerializer, self.request))

    def list(self, request, *args, **kwargs):
        # One row per analyst: aggregate once and page in memory, rather than aggregating every prediction
        # twice (once for the page, once more for the count).
        rows = list(self.get_queryset())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


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
        responses={201: s.SourceIngestResponseSerializer},
        summary="Ingest an article: keep it as a source and propose draft predictions for review",
    )
    def create(self, request, *args, **kwargs):
        body = s.SourceIngestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            report = drafts.article_ingest(**body.validated_data, user=request.user)
        except drafts.IngestError as exc:
            return Response({"text": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        payload = {"source": report.source, "drafts": report.drafts}
        return Response(s.SourceIngestResponseSerializer(payload).data, status=status.HTTP_201_CREATED)


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

