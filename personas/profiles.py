"""Professional profiles: `<industry>_<role>` in lowercase snake_case, e.g. `qsr_real_estate`
(the QSR industry, the real-estate role)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from personas.errors import BadInput

MAX_CHARS = 64
EXPERIENCE_LIMIT = 8000  # characters of one experience block
# Industries a profile name may start with; a name is split after the longest one it starts
# with. Others are declared with industry= (and then known).
INDUSTRIES = (
    "advertising",
    "aerospace",
    "agriculture",
    "automotive",
    "banking",
    "biotech",
    "construction",
    "consulting",
    "cpg",
    "defense",
    "ecommerce",
    "education",
    "energy",
    "entertainment",
    "fashion",
    "fintech",
    "gaming",
    "government",
    "healthcare",
    "hospitality",
    "insurance",
    "legal",
    "logistics",
    "manufacturing",
    "media",
    "mining",
    "nonprofit",
    "oil_gas",
    "pharma",
    "qsr",
    "real_estate",
    "retail",
    "saas",
    "semiconductors",
    "software",
    "sports",
    "telecom",
    "tobacco",
    "travel",
    "utilities",
)
RULE = (
    "a profile is <industry>_<role> in letters, digits and underscores, 2-64 characters, "
    "e.g. qsr_real_estate or tobacco_consumer_insights"
)
_PART = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")


@dataclass(frozen=True)
class Profile:
    """A profile's name and its two parts."""

    name: str
    industry: str
    role: str


def snake(text: str) -> str:
    """Lowercase snake_case: spaces, dashes and runs of other separators become one `_`."""
    return re.sub(r"[\s\-/&.]+", "_", text.strip().lower()).strip("_")


def _checked(name: str, industry: str, role: str) -> Profile:
    if not (2 <= len(name) <= MAX_CHARS) or not _PART.fullmatch(industry or "-"):
        raise BadInput(f"'{name[:80]}' is not a profile: {RULE}")
    if not _PART.fullmatch(role or "-"):
        raise BadInput(f"'{name[:80]}' has no role part: {RULE}")
    return Profile(name, industry, role)


def parse(
    profile: str | None, industry: str | None, role: str | None, known: tuple[str, ...] = ()
) -> Profile:
    """A profile from `profile=` (split after the longest known industry it starts with) or
    from `industry=` and `role=` (the user says where the split is)."""
    if industry or role:
        if not (industry and role) or profile:
            raise BadInput("give industry= and role= together, or profile= alone")
        ind, rol = snake(industry), snake(role)
        return _checked(f"{ind}_{rol}", ind, rol)
    if not profile:
        raise BadInput(f"say which: {RULE}")
    name = snake(profile)
    if not _PART.fullmatch(name) or not (2 <= len(name) <= MAX_CHARS):
        raise BadInput(f"'{profile[:80]}' is not a profile: {RULE}")
    industries = sorted(set(INDUSTRIES) | set(known), key=len, reverse=True)
    for ind in industries:
        if name.startswith(ind + "_"):
            return _checked(name, ind, name[len(ind) + 1 :])
    raise BadInput(
        f"'{name}' doesn't start with an industry I know: say industry= and role= "
        "(e.g. /me profile industry=qsr role=real estate)"
    )
