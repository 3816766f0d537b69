from django.contrib import admin
from django.urls import include, path

from forecasts.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("forecasts.api.urls")),
    path("api-auth/", include("rest_framework.urls")),  # log in and out of the browsable API
    path("healthz", healthz, name="healthz"),
    path("", include("forecasts.urls")),
]

handler404 = "forecasts.views.not_found"
handler500 = "forecasts.views.server_error"
