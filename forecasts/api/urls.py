from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from forecasts.api import views

router = DefaultRouter()
router.register("analysts", views.AnalystViewSet, basename="analyst")
router.register("questions", views.QuestionViewSet, basename="question")
router.register("predictions", views.PredictionViewSet, basename="prediction")
router.register("sources", views.SourceViewSet, basename="source")
router.register("ingest-jobs", views.IngestJobViewSet, basename="ingest-job")
router.register("checks", views.ResolutionCheckViewSet, basename="check")

app_name = "api"
urlpatterns = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="token"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/tokens/", views.TokenListView.as_view(), name="token-list"),
    path("auth/tokens/<slug:token_key>/", views.TokenRevokeView.as_view(), name="token-revoke"),
    path("calibration/", views.LeaderboardView.as_view(), name="leaderboard"),
    path("phrases/calibration/", views.PhraseCalibrationView.as_view(), name="phrase-calibration"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from its own URL, so the docs pass the CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
