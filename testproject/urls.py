from django.urls import path

from testproject import demo_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("decorated/", views.decorated, name="decorated"),
    path("decorated-async/", views.decorated_async, name="decorated-async"),
    path("decorated-class/", views.DecoratedClassView.as_view(), name="decorated-class"),
    path("function/", views.function, name="function"),
    path("response-attribute/", views.response_attribute, name="response-attribute"),
    path("streaming/", views.streaming, name="streaming"),
    path("slow/", views.slow, name="slow"),
    path("slow/declared/", views.slow_declared, name="slow-declared"),
    path("api/menu.json", views.menu, name="menu"),
    path("discovery/", views.discovery, name="discovery"),
    path("discovery/jinja2/", views.discovery_jinja2, name="discovery-jinja2"),
    path("discovery/cached/", views.discovery_cached, name="discovery-cached"),
    path("discovery/cached-tag/", views.discovery_cached_tag, name="discovery-cached-tag"),
    path("discovery/theme/", views.discovery_theme, name="discovery-theme"),
    path("cms/<path:slug>/", views.cms, name="cms"),
    # The demo about itself (testproject/demo_views.py).
    path("demo/explain.js", demo_views.explain_js, name="demo-explain-js"),
    path("waterfall.svg", demo_views.waterfall, name="waterfall"),
]
