"""h2push.django_layer.field.quorum: conclusions need a quorum of distinct clients, so
one attacker with one address never decides what another visitor is hinted."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from h2push.django_layer.field.quorum import conclude, hint_votes, is_single_client, lcp_votes
from h2push.django_layer.field.sample import HintUse, LcpElement, Sample
from tests.django_layer.field.making import CSS, HERO, OLD_JS, sample, unused, used

EVIL = LcpElement("/static/img/evil.jpg", is_image=True)
BACKGROUND = LcpElement("/static/img/banner.jpg", is_image=False)
HINTED = {CSS, OLD_JS}


def from_clients(count: int, prefix: str = "c", **fields: object) -> list[Sample]:
    return [sample(f"{prefix}{n}", **fields) for n in range(count)]  # type: ignore[arg-type]


# --- the LCP image --------------------------------------------------------------------


def test_the_lcp_image_needs_the_quorum_of_distinct_clients() -> None:
    assert conclude(from_clients(4), 5, HINTED).lcp is None
    assert conclude(from_clients(5), 5, HINTED).lcp == HERO


def test_one_clients_many_samples_count_once() -> None:
    one_client = [sample("attacker", lcp=EVIL) for _ in range(24)]
    assert conclude(one_client, 5, HINTED).lcp is None
    assert lcp_votes(one_client) == ((EVIL, 1),)
    # Beside four honest clients, the attacker's samples make five samples' worth of
    # agreement many times over, but one client's.
    four_honest = from_clients(4)
    assert conclude(four_honest + one_client, 5, HINTED).lcp is None
    # And beside a quorum, they cannot outvote it.
    assert conclude(from_clients(5) + one_client, 5, HINTED).lcp == HERO


def test_the_whole_element_must_agree_not_only_its_url() -> None:
    wide = LcpElement(HERO.url, True, srcset="/static/img/hero-2x.jpg 2x", sizes="100vw")
    split = from_clients(3) + from_clients(3, "w", lcp=wide)
    assert conclude(split, 5, HINTED).lcp is None
    agreed = from_clients(5, "w", lcp=wide)
    assert conclude(agreed, 5, HINTED).lcp == wide


def test_a_css_background_is_reported_never_hinted() -> None:
    backgrounds = from_clients(8, lcp=BACKGROUND)
    assert conclude(backgrounds, 5, HINTED).lcp is None
    assert lcp_votes(backgrounds) == ((BACKGROUND, 8),)


def test_two_elements_named_as_often_conclude_nothing() -> None:
    tie = from_clients(5) + from_clients(5, "e", lcp=EVIL)
    assert conclude(tie, 5, HINTED).lcp is None
    assert conclude([*tie, sample("one-more")], 5, HINTED).lcp == HERO


def test_samples_without_an_lcp_element_vote_for_none() -> None:
    assert conclude(from_clients(9, lcp=None), 5, HINTED).lcp is None
    assert conclude(from_clients(9, lcp=None) + from_clients(5), 5, HINTED).lcp == HERO


# --- unused hints ---------------------------------------------------------------------


def test_a_hint_is_unused_once_the_quorum_reports_it_unused() -> None:
    hints = (used(CSS), unused(OLD_JS))
    assert conclude(from_clients(4, hints=hints), 5, HINTED).unused == frozenset()
    assert conclude(from_clients(5, hints=hints), 5, HINTED).unused == {OLD_JS}


def test_one_sample_that_used_a_hint_keeps_it() -> None:
    window = from_clients(20, hints=(unused(OLD_JS),))
    window.append(sample("needs-it", hints=(used(OLD_JS),)))
    assert conclude(window, 5, HINTED).unused == frozenset()


def test_one_client_never_makes_a_hint_unused() -> None:
    attacker = [sample("attacker", hints=(unused(CSS),)) for _ in range(24)]
    assert conclude(attacker, 5, HINTED).unused == frozenset()
    # Beside three honest clients that found the sheet unused, the attacker makes
    # four clients, not 27 samples' worth.
    three_honest = from_clients(3, hints=(unused(CSS),))
    assert conclude(attacker + three_honest, 5, HINTED).unused == frozenset()


def test_only_the_routes_hints_are_judged() -> None:
    window = from_clients(6, hints=(unused("/static/js/gone.js"),))
    assert conclude(window, 5, HINTED).unused == frozenset()
    assert hint_votes(window)["/static/js/gone.js"].unused_by == 6


def test_a_quorum_below_one_is_one() -> None:
    # A quorum of zero would call every hint nobody reported on unused.
    assert conclude([], 0, HINTED).unused == frozenset()
    assert conclude([sample(hints=(unused(CSS),))], 0, HINTED).unused == {CSS}


# --- one client -----------------------------------------------------------------------


def test_samples_all_from_one_client_are_told_apart() -> None:
    assert not is_single_client([sample("proxy")] * 2)  # just the first visitor
    assert is_single_client([sample("proxy")] * 3)
    assert conclude([sample("proxy")] * 3, 5, HINTED).single_client
    assert not conclude([sample("proxy")] * 3 + [sample("other")], 5, HINTED).single_client
    assert conclude([sample("proxy")] * 3 + [sample("other")], 5, HINTED).clients == 2


# --- whatever one attacker sends ------------------------------------------------------

urls = st.sampled_from([CSS, OLD_JS, HERO.url, EVIL.url, "/static/js/x.js"])
elements = st.none() | st.builds(
    LcpElement,
    urls,
    st.booleans(),
    st.none() | st.text(max_size=5),
    st.none() | st.text(max_size=5),
)
hint_uses = st.builds(HintUse, urls, st.booleans(), st.just("link"), st.none())
attacker_samples = st.lists(
    st.builds(
        sample,
        st.just("attacker"),
        lcp=elements,
        hints=st.lists(hint_uses, max_size=4).map(tuple),
    ),
    max_size=30,
)


@given(attacker_samples, st.integers(min_value=2, max_value=10))
def test_one_attacker_alone_never_reaches_a_quorum(attack: list[Sample], quorum: int) -> None:
    conclusion = conclude(attack, quorum, HINTED | {HERO.url, EVIL.url})
    assert conclusion.lcp is None
    assert conclusion.unused == frozenset()


@given(attacker_samples)
def test_one_attacker_cannot_unseat_what_a_clear_majority_agreed(attack: list[Sample]) -> None:
    # Six honest clients agree on the hero and find the stylesheet used; whatever
    # one more client reports (it counts once), the hero stays and the sheet stays.
    honest = from_clients(6, hints=(used(CSS),))
    conclusion = conclude(honest + attack, 5, HINTED)
    assert conclusion.lcp == HERO
    assert CSS not in conclusion.unused
