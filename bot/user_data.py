"""A person's own data (Red-DiscordBot's data-deletion hook, PluralKit's export): everything
the bot holds about them — SQL rows, the memory index, voice clones, retirement archives,
spoken replies — exported as one file, or erased."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.documents import KnowledgeDocs
from bot.memory.service import MemoryService
from bot.messages import Attachment
from bot.persona_service import PersonaService
from bot.voice.service import VoiceService
from storage.user_data import Account, UserDataRepo

log = logging.getLogger(__name__)


class UserData:
    """Export and erasure of one person (every account linked to them)."""

    def __init__(
        self,
        repo: UserDataRepo,
        personas: PersonaService,
        archives: Path,
        forget_accounts: Callable[[Sequence[Account]], None],
    ) -> None:
        self.repo = repo
        self.personas = personas
        self.archives = archives
        self._forget_accounts = forget_accounts
        self.memory: MemoryService | None = None  # set by the core with what it runs
        self.documents: KnowledgeDocs | None = None
        self.voice: VoiceService | None = None

    async def person(self, user_id: int) -> list[Account]:
        """Every account of the person this user id is."""
        return await self.repo.accounts(user_id)

    async def export(self, accounts: Sequence[Account]) -> tuple[Attachment, dict[str, int]]:
        """One file (JSON, or a zip with their spoken replies) and what it holds, counted."""
        ids = [a.user_id for a in accounts]
        sql = await self.repo.rows(accounts)
        owned = [int(p["id"]) for p in sql.get("personas", [])]
        memories = await self.memory.vectors.of_users(ids) if self.memory is not None else []
        chunks = {}
        if self.documents is not None:
            for pid in owned:
                chunks[str(pid)] = await self.documents.index.count(pid)
        data: dict[str, Any] = {
            "exported_at": datetime.now(UTC).isoformat(),
            "accounts": [{"platform": a.platform, "id": a.ref} for a in accounts],
            "database": sql,
            "memory_index": memories,
            "knowledge_chunks_by_persona": chunks,
            "voice_clones": [
                {"persona": p["name"], "voice_id": p["custom_voice_id"]}
                for p in sql.get("personas", [])
                if p.get("custom_voice_id")
            ],
            "archives": self._archived(accounts, set(owned)),
        }
        audio = await self._audio(sql)
        counts = {
            "rows": sum(len(v) for k, v in sql.items()),
            "memories": len(memories),
            "personas": len(owned),
            "audio": len(audio),
        }
        text = json.dumps(data, indent=1, ensure_ascii=False, default=str).encode()
        stamp = datetime.now(UTC).strftime("%Y%m%d")
        if not audio:
            name = f"personabot-data-{stamp}.json"
            return Attachment(name, "application/json", text), counts
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("data.json", text)
            for turn_id, ogg in audio.items():
                z.writestr(f"audio/reply-{turn_id}.ogg", ogg)
        return Attachment(
            f"personabot-data-{stamp}.zip", "application/zip", buffer.getvalue()
        ), counts

    async def _audio(self, sql: dict[str, list[dict[str, Any]]]) -> dict[int, bytes]:
        """Their replies the voice cache still holds, by turn id."""
        if self.voice is None:
            return {}
        found: dict[int, bytes] = {}
        for turn in sql.get("turns", []):
            if turn["role"] != "assistant":
                continue
            persona = await self.personas.get(int(turn["persona_id"]))
            if persona is None:
                continue
            ogg = self.voice.cached_audio(turn["content"], self.voice.voice_for(persona))
            if ogg is not None:
                found[int(turn["id"])] = ogg
        return found

    def _archived(self, accounts: Sequence[Account], owned: set[int]) -> list[dict[str, Any]]:
        """Their memories in retirement archives, and their own personas' archives whole."""
        keys = {f"{a.platform}:{a.ref}" for a in accounts}
        out = []
        for path, data in self._archive_files():
            mine = {k: v for k, v in data.get("users", {}).items() if k in keys}
            if int(data.get("persona", {}).get("id", 0)) in owned:  # theirs: all but others'
                out.append({"file": path.name, **data, "users": mine})
            elif mine:
                out.append({"file": path.name, "persona": data.get("persona"), "users": mine})
        return out

    def _archive_files(self) -> list[tuple[Path, dict[str, Any]]]:
        if not self.archives.exists():
            return []
        found = []
        for path in sorted(self.archives.glob("*.json")):
            try:
                found.append((path, json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError):
                log.warning("archive %s could not be read", path.name)
        return found

    async def erase(self, accounts: Sequence[Account]) -> dict[str, int]:
        """Erase everything about the person; what was removed, counted."""
        ids = [a.user_id for a in accounts]
        owned = await self.repo.personas(ids)
        owned_ids = [p.id for p in owned]
        rows = await self.repo.erase(accounts)
        self._forget_accounts(accounts)
        if self.memory is not None:
            await self.memory.vectors.erase(ids, owned_ids)
        if self.documents is not None:
            await self.documents.erase(owned_ids)
        clones = [p.custom_voice_id for p in owned if p.custom_voice_id]
        spoken = 0
        if self.voice is not None:
            for voice_id in clones:
                await self.voice.forget_clone(voice_id)
            spoken = self.voice.clear_cache()
        archives = self._erase_archives(accounts, set(owned_ids))
        return {
            "rows": rows,
            "personas": len(owned_ids),
            "clones": len(clones),
            "archives": archives,
            "spoken": spoken,
        }

    def _erase_archives(self, accounts: Sequence[Account], owned: set[int]) -> int:
        """Their own personas' archives deleted; their memories cut out of the others."""
        keys = {f"{a.platform}:{a.ref}" for a in accounts}
        changed = 0
        for path, data in self._archive_files():
            if int(data.get("persona", {}).get("id", 0)) in owned:
                path.unlink(missing_ok=True)
                changed += 1
                continue
            users = data.get("users", {})
            if not keys & set(users):
                continue
            data["users"] = {k: v for k, v in users.items() if k not in keys}
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
            tmp.replace(path)
            changed += 1
        return changed
