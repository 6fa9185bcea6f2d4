"""The test project's URLs with the debug toolbar's, for :mod:`toolbar_settings`."""

from debug_toolbar.toolbar import debug_toolbar_urls

from testproject.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, *debug_toolbar_urls()]
