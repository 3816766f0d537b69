from django.contrib.auth import views as auth_views
from django.urls import path

from forecasts import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/tokens/", views.token_list, name="token-list"),
    path("accounts/tokens/<slug:token_key>/revoke/", views.token_revoke, name="token-revoke"),
    path("questions/", views.question_list, name="question-list"),
    path("questions/<int:question_id>/", views.question_detail, name="question-detail"),
    path("questions/<int:question_id>/resolve/", views.question_resolve, name="question-resolve"),
    path("questions/<int:question_id>/unresolve/", views.question_unresolve, name="question-unresolve"),
    path("checks/<int:check_id>/snooze/", views.check_snooze, name="check-snooze"),
    path("analysts/", views.analyst_list, name="analyst-list"),
    path("analysts/<slug:slug>/", views.analyst_detail, name="analyst-detail"),
    path("analysts/<slug:slug>/calibration.svg", views.analyst_chart, name="analyst-chart"),
    path("sources/", views.source_list, name="source-list"),
    path("sources/<int:source_id>/", views.source_detail, name="source-detail"),
    path("sources/<int:source_id>/drafts/", views.source_drafts, name="source-drafts"),
    path("drafts/", views.draft_sources, name="draft-sources"),
    path("drafts/jobs/<int:job_id>/", views.job_detail, name="job-detail"),
    path("drafts/<int:draft_id>/accept/", views.draft_accept, name="draft-accept"),
    path("drafts/<int:draft_id>/reject/", views.draft_reject, name="draft-reject"),
    path("phrases/", views.phrase_calibration, name="phrase-calibration"),
]
