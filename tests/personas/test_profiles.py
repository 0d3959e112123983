"""Profile names: lowercase snake_case <industry>_<role>, split after a known industry or
where the user says."""

from __future__ import annotations

import pytest

from personas.errors import BadInput
from personas.profiles import parse


@pytest.mark.parametrize(
    ("given", "name", "industry", "role"),
    [
        ({"profile": "qsr_real_estate"}, "qsr_real_estate", "qsr", "real_estate"),
        (
            {"profile": "Tobacco Consumer-Insights"},
            "tobacco_consumer_insights",
            "tobacco",
            "consumer_insights",
        ),
        ({"profile": "oil_gas_geologist"}, "oil_gas_geologist", "oil_gas", "geologist"),
        ({"industry": "QSR", "role": "Real Estate"}, "qsr_real_estate", "qsr", "real_estate"),
        (
            {"industry": "space tourism", "role": "pilot"},
            "space_tourism_pilot",
            "space_tourism",
            "pilot",
        ),
    ],
)
def test_names_are_normalised_and_split(
    given: dict[str, str], name: str, industry: str, role: str
) -> None:
    p = parse(given.get("profile"), given.get("industry"), given.get("role"))
    assert (p.name, p.industry, p.role) == (name, industry, role)


def test_a_known_industry_from_existing_profiles_splits_new_names() -> None:
    assert parse("space_tourism_guide", None, None, ("space_tourism",)).role == "guide"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"profile": "x"}, "is not a profile"),
        ({"profile": "qsr"}, "doesn't start with an industry I know"),
        ({"profile": "widgets_maker"}, "doesn't start with an industry I know"),
        ({"profile": "qsr_" + "r" * 70}, "is not a profile"),
        ({"profile": "qsr_real$estate"}, "is not a profile"),
        ({"industry": "qsr"}, "give industry= and role= together"),
        ({"industry": "qsr", "role": "!!"}, "has no role part"),
        ({}, "say which"),
    ],
)
def test_bad_names_are_refused_with_the_rule(given: dict[str, str], message: str) -> None:
    with pytest.raises(BadInput) as err:
        parse(given.get("profile"), given.get("industry"), given.get("role"))
    assert message in err.value.message
