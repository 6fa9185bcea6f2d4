"""An image preload carries fetchpriority, imagesrcset and imagesizes (issue 20)."""

from __future__ import annotations

import pytest

from h2push.django_layer.preload import Preload, preload_from_link

SRCSET = "/static/hero-480.jpg 480w, /static/hero.jpg 1200w"
SIZES = "(max-width: 600px) 100vw, 50vw"


def test_the_link_value_carries_the_image_hints_and_reads_back() -> None:
    hero = Preload("/static/hero.jpg", fetchpriority="high", imagesrcset=SRCSET, imagesizes=SIZES)
    assert hero.link_value() == (
        f'</static/hero.jpg>; rel=preload; as=image; fetchpriority=high; imagesrcset="{SRCSET}"; '
        f'imagesizes="{SIZES}"'
    )
    assert preload_from_link(hero.link_value()) == hero


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fetchpriority": "urgent"},
        {"imagesrcset": 'a.jpg 1x", evil'},
        {"imagesizes": "100vw\r\nX-Injected: 1"},
        {"imagesrcset": "a\\b 1x"},
    ],
)
def test_unsafe_image_hints_are_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        Preload("/static/hero.jpg", **kwargs)  # type: ignore[arg-type]


def test_srcset_is_for_images_only() -> None:
    with pytest.raises(ValueError):
        Preload("/static/site.css", imagesrcset=SRCSET)
