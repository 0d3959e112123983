"""Profiles, who has which, and each persona's experience block per profile."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from personas.profiles import EXPERIENCE_LIMIT, Profile
from storage.community_models import ExperienceBlock, ProfileRow, UserProfile
from storage.db import Database
from storage.models import utcnow


class ProfileRepo:
    """Profiles and experience; what a turn reads goes through the read cache."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write_settings  # a turn reads these through the cache
        self._cache = db.cache

    async def ensure(self, p: Profile) -> bool:
        """Create the profile if it is new; True when it was."""
        async with self._write() as s:
            if await s.get(ProfileRow, p.name) is not None:
                return False
            s.add(ProfileRow(name=p.name, industry=p.industry, role=p.role))
            await s.commit()
            return True

    async def get(self, name: str) -> Profile | None:
        """One profile by name."""
        async with self._sessions() as s:
            row = await s.get(ProfileRow, name)
            return Profile(row.name, row.industry, row.role) if row else None

    async def industries(self) -> tuple[str, ...]:
        """Industries of the profiles there are (so their names split the same way)."""
        async with self._sessions() as s:
            return tuple(await s.scalars(select(ProfileRow.industry).distinct()))

    async def counted(self) -> list[tuple[Profile, int]]:
        """Every profile with how many users have it (never who)."""
        users = func.count(UserProfile.user_id)
        async with self._sessions() as s:
            rows = await s.execute(
                select(ProfileRow, users)
                .outerjoin(UserProfile, UserProfile.profile == ProfileRow.name)
                .group_by(ProfileRow.name)
                .order_by(ProfileRow.name)
            )
            return [(Profile(r.name, r.industry, r.role), int(n)) for r, n in rows.all()]

    async def of_user(self, user_id: int) -> tuple[str, str] | None:
        """(profile, source) of a user, from the turn's read cache."""

        async def load() -> tuple[str, str] | None:
            async with self._sessions() as s:
                row = await s.get(UserProfile, user_id)
                return (row.profile, row.source) if row else None

        return await self._cache.get(("profile", user_id), load)

    async def set_user(self, user_id: int, name: str, source: str) -> None:
        """Give a user a profile (replacing any)."""
        async with self._write() as s:
            row = await s.get(UserProfile, user_id)
            if row is None:
                s.add(UserProfile(user_id=user_id, profile=name, source=source))
            else:
                row.profile, row.source, row.set_at = name, source, utcnow()
            await s.commit()

    async def clear_user(self, user_id: int) -> bool:
        """Take a user's profile away; False when they had none."""
        async with self._write() as s:
            gone = await s.execute(delete(UserProfile).where(UserProfile.user_id == user_id))
            await s.commit()
            return bool(gone.rowcount)  # type: ignore[attr-defined]

    async def users_with(self, name: str) -> list[int]:
        """Ids of the users with a profile (for the experience pass only)."""
        async with self._sessions() as s:
            return list(
                await s.scalars(select(UserProfile.user_id).where(UserProfile.profile == name))
            )

    async def rename(self, old: str, new: Profile) -> None:
        """Move users and experience to `new` (created if needed; a persona with blocks under
        both keeps them joined, cut at the limit) and drop `old`."""
        async with self._write() as s:
            if await s.get(ProfileRow, new.name) is None:
                s.add(ProfileRow(name=new.name, industry=new.industry, role=new.role))
                await s.flush()
            await s.execute(
                update(UserProfile).where(UserProfile.profile == old).values(profile=new.name)
            )
            for block in list(
                await s.scalars(select(ExperienceBlock).where(ExperienceBlock.profile == old))
            ):
                there = await s.get(ExperienceBlock, (block.persona_id, new.name))
                if there is None:
                    s.add(
                        ExperienceBlock(
                            persona_id=block.persona_id, profile=new.name, text=block.text
                        )
                    )
                else:
                    joined = f"{there.text.strip()}\n{block.text.strip()}".strip()
                    there.text, there.updated_at = joined[:EXPERIENCE_LIMIT], utcnow()
                await s.delete(block)
            await s.execute(delete(ProfileRow).where(ProfileRow.name == old))
            await s.commit()

    async def remove(self, name: str) -> bool:
        """Delete a profile, its users' choice of it and its experience blocks."""
        async with self._write() as s:
            await s.execute(delete(UserProfile).where(UserProfile.profile == name))
            await s.execute(delete(ExperienceBlock).where(ExperienceBlock.profile == name))
            gone = await s.execute(delete(ProfileRow).where(ProfileRow.name == name))
            await s.commit()
            return bool(gone.rowcount)  # type: ignore[attr-defined]

    async def block(self, persona_id: int, profile: str) -> str:
        """A persona's experience block for a profile ("" if none), from the read cache."""

        async def load() -> str:
            async with self._sessions() as s:
                row = await s.get(ExperienceBlock, (persona_id, profile))
                return row.text if row else ""

        return await self._cache.get(("experience", persona_id, profile), load)

    async def blocks(self, persona_id: int) -> list[tuple[str, str]]:
        """(profile, text) of every block a persona has."""
        async with self._sessions() as s:
            rows = await s.execute(
                select(ExperienceBlock.profile, ExperienceBlock.text)
                .where(ExperienceBlock.persona_id == persona_id)
                .order_by(ExperienceBlock.profile)
            )
            return [(p, t) for p, t in rows.all()]

    async def set_block(self, persona_id: int, profile: str, text: str) -> None:
        """Store a block (created on first use; setting the same text again changes nothing)."""
        async with self._write() as s:
            row = await s.get(ExperienceBlock, (persona_id, profile))
            if row is None:
                s.add(ExperienceBlock(persona_id=persona_id, profile=profile, text=text))
            elif row.text != text:
                row.text, row.updated_at = text, utcnow()
            await s.commit()

    async def clear_block(self, persona_id: int, profile: str) -> bool:
        """Delete one block; False when there was none."""
        async with self._write() as s:
            gone = await s.execute(
                delete(ExperienceBlock).where(
                    ExperienceBlock.persona_id == persona_id, ExperienceBlock.profile == profile
                )
            )
            await s.commit()
            return bool(gone.rowcount)  # type: ignore[attr-defined]
