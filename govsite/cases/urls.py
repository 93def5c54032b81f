"""Public addresses of the case engine (issue 6): /hudong/... on every site, and /error-report/."""

from django.urls import path

from govsite.cases import views

app_name = "cases"

urlpatterns = [
    path("hudong/", views.home, name="home"),
    path("hudong/xinxiang/<slug:slug>/", views.mailbox, name="mailbox"),
    path("hudong/xinxiang/<slug:slug>/<str:receipt_number>/", views.letter, name="letter"),
    path("error-report/", views.error_report, name="error_report"),
    path("hudong/jiucuo/", views.error_reports, name="error_reports"),
    path("hudong/jiucuo/<str:receipt_number>/", views.error_report_detail, name="error_report_detail"),
    path("hudong/yishenqing/", views.disclosure, name="disclosure"),
    path("hudong/huizhi/", views.receipt, name="receipt"),
    path("hudong/chaxun/", views.look_up, name="look_up"),
    path("hudong/chaxun/pingjia/", views.rate, name="rate"),
    path("hudong/zhishiku/", views.knowledge, name="knowledge"),
    path("hudong/zhishiku/suggest/", views.knowledge_suggest, name="knowledge_suggest"),
    path("hudong/zhishiku/<int:pk>/", views.knowledge_entry, name="knowledge_entry"),
    path("hudong/tongji/", views.statistics, name="statistics"),
    path("hudong/captcha/", views.captcha_image, name="captcha_image"),
    path("hudong/captcha/audio/", views.captcha_audio, name="captcha_audio"),
    path("hudong/captcha/new/", views.captcha_new, name="captcha_new"),
    path("hudong/<slug:channel>/", views.channel_redirect, name="channel"),
]
