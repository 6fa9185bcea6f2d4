"""h2push.django_layer.field.page: the images a page's script is given."""

from __future__ import annotations

from django.test import override_settings

from h2push.django_layer.field.page import page_images, under_static_or_media

OWN = "https://shop.example"


@override_settings(STATIC_URL="/static/", MEDIA_URL="/media/")
def test_srcset_candidates_are_read_as_html_reads_them() -> None:
    # An image CDN's URL may hold commas; the candidate ends at white space.
    html = (
        b'<img src="/media/hero.jpg" srcset="/media/w_480,h_240/hero.jpg 480w, '
        b'/media/hero-1200.jpg 1200w"><img src="/elsewhere/x.jpg">'
    )
    assert page_images(html, OWN) == [
        "/media/hero.jpg",
        "/media/w_480,h_240/hero.jpg",
        "/media/hero-1200.jpg",
    ]


@override_settings(STATIC_URL="/static/", MEDIA_URL="https://media.example/m/")
def test_under_static_or_media() -> None:
    assert under_static_or_media("/static/a.jpg", OWN)
    assert under_static_or_media(f"{OWN}/static/a.jpg", OWN)
    assert under_static_or_media("https://media.example/m/a.jpg", OWN)
    assert not under_static_or_media("/media/a.jpg", OWN)
    assert not under_static_or_media("https://evil.example/static/a.jpg", OWN)
