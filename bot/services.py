"""What command handlers may use — and nothing else: no Core, no database handle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.access import Access
    from bot.budgets import Budgets
    from bot.channels import ChatChannels
    from bot.commands.spec import CommandSpec
    from bot.config import Settings
    from bot.conversation import Conversation
    from bot.documents import KnowledgeDocs
    from bot.jobs.runner import JobRunner
    from bot.links import Links
    from bot.memory.service import MemoryService
    from bot.memory.summary import Summaries
    from bot.model_choice import ModelChoice
    from bot.moderation import Moderation
    from bot.moods import Moods
    from bot.persona_service import PersonaService
    from bot.pictures import Pictures
    from bot.profiles import Profiles
    from bot.retirement import Retirement
    from bot.scenes import Scenes
    from bot.user_data import UserData
    from bot.voice.service import VoiceService
    from storage.chats import ChatRepo
    from storage.decay import Decay
    from storage.descriptions import DescriptionRepo
    from storage.memory_scopes import MemoryScopeRepo
    from storage.turns import TurnRepo
    from storage.usage import UsageRepo
    from storage.voice_prefs import VoicePrefRepo


@dataclass(frozen=True)
class Services:
    """The collaborators a handler receives, built once by the core."""

    settings: Settings
    personas: PersonaService
    pictures: Pictures
    models: ModelChoice
    turns: TurnRepo
    memory: MemoryService | None
    decay: Decay
    voice: VoiceService | None
    voice_prefs: VoicePrefRepo
    scopes: MemoryScopeRepo
    usage: UsageRepo
    moods: Moods
    channels: ChatChannels
    retirement: Retirement
    jobs: JobRunner
    descriptions: DescriptionRepo
    conversation: Conversation
    chats: ChatRepo
    summaries: Summaries
    scenes: Scenes
    commands: Callable[[], list[CommandSpec]]
    documents: KnowledgeDocs | None = None
    budgets: Budgets | None = None
    access: Access | None = None
    moderation: Moderation | None = None
    user_data: UserData | None = None
    links: Links | None = None
    profiles: Profiles | None = None
