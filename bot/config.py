"""Configuration: config.yaml loaded once into pydantic models, with environment overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.errors import ConfigError
from storage.lance_location import LanceLocation, is_remote

ENV_PREFIX = "PERSONABOT__"
CONFIG_ENV = "PERSONABOT_CONFIG"
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.yaml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LLMConfig(_Section):
    model: str = Field("embedded/smollm2-135m", min_length=1)
    api_base: str = ""
    api_key_env: str = ""
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: int = Field(300, ge=1, le=32768)
    timeout_s: float = Field(60, gt=0)
    turn_budget_s: float = Field(90, gt=0)
    stream: bool = True
    openai_sdk: bool = False
    retries: int = Field(2, ge=0, le=10)
    backoff_s: float = Field(0.5, ge=0)
    fallbacks: list[str] = Field(default_factory=list)
    embedded_context: int = Field(4096, ge=256)
    embedded_threads: int = Field(0, ge=0)
    embedded_max_tokens: int = Field(120, ge=1, le=32768)


class DecayConfig(_Section):
    function: Literal["exponential", "linear", "logarithmic"] = "exponential"
    half_life_days: float = Field(default=30, gt=0, le=3650)
    exempt_importance: float = Field(default=0.9, ge=0, le=1.01)
    warm_below: float = Field(default=0.5, ge=0, le=1)
    cold_below: float = Field(default=0.25, ge=0, le=1)
    archive_below: float = Field(default=0.1, ge=0, le=1)
    retention_days: int = Field(default=0, ge=0)
    batch: int = Field(default=5000, ge=1)


SECRET_WORDS = ("secret", "access_key", "key_id", "token", "password", "sas", "account_key")


class MemoryConfig(_Section):
    enabled: bool = True
    decay: DecayConfig = DecayConfig()
    embedding: str = "local-minilm"
    embedding_api_base: str = ""
    vectors_dir: str = ""
    vectors_options: dict[str, str] = {}
    top_k: int = Field(6, ge=0, le=50)
    candidates: int = Field(40, ge=1, le=1000)
    prompt_chars: int = Field(1500, ge=0)
    recall_mode: Literal["vector", "fts", "hybrid", "hybrid+rescore"] = "hybrid+rescore"
    recency_half_life_days: float = Field(30, gt=0)
    weight_relevance: float = Field(1.0, ge=0)
    weight_recency: float = Field(0.1, ge=0)
    recency_tiebreak: float = Field(0.02, ge=0)
    weight_importance: float = Field(0.3, ge=0)
    weight_time: float = Field(0.3, ge=0)
    min_relevance: float = Field(0.25, ge=-1, le=1)
    extraction: bool = True
    extraction_model: str = ""
    knowledge_every: int = Field(10, ge=0)
    knowledge_min_users: int = Field(3, ge=2, le=1000)
    summaries: bool = True
    summary_every: int = Field(10, ge=1)
    summary_chars: int = Field(1200, ge=100, le=8000)

    @field_validator("vectors_options")
    @classmethod
    def _no_secrets(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if any(word in key.lower() for word in SECRET_WORDS):
                raise ValueError(
                    f"{key} is a secret: set it in the environment (e.g. AWS_SECRET_ACCESS_KEY), "
                    "where LanceDB reads it, not in config"
                )
        return value


DocKind = Literal["pdf", "docx", "html", "markdown", "text"]
DOC_KINDS: tuple[DocKind, ...] = ("pdf", "docx", "html", "markdown", "text")


class KnowledgeConfig(_Section):
    enabled: bool = True
    file_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    pages: int = Field(1000, ge=1)
    chunks_per_persona: int = Field(50_000, ge=1)
    types: list[DocKind] = Field(default_factory=lambda: list(DOC_KINDS), min_length=1)
    chunk_tokens: int = Field(200, ge=32, le=256)
    chunk_overlap: int = Field(30, ge=0, le=128)
    top_k: int = Field(4, ge=0, le=20)
    prompt_chars: int = Field(2400, ge=0)
    min_relevance: float = Field(0.2, ge=-1, le=1)
    show_sources: bool = False


class BudgetsConfig(_Section):
    messages_per_minute: int = Field(0, ge=0)
    tokens_per_day: int = Field(0, ge=0)
    tokens_per_month: int = Field(0, ge=0)
    space_tokens_per_day: int = Field(0, ge=0)
    space_tokens_per_month: int = Field(0, ge=0)
    spoken_chars_per_day: int = Field(0, ge=0)
    concurrent_turns_per_space: int = Field(0, ge=0)


class ProfilesConfig(_Section):
    infer: bool = False
    every: int = Field(20, ge=1)
    min_confidence: float = Field(0.8, ge=0, le=1)
    model: str = ""


class AccessConfig(_Section):
    blocked_note: str = Field("", max_length=500)


class SafetyConfig(_Section):
    enabled: bool = False
    phrases: list[str] = Field(
        default_factory=lambda: [
            "kill myself",
            "killing myself",
            "end my life",
            "want to die",
            "suicide",
            "suicidal",
            "self harm",
            "self-harm",
            "hurt myself",
        ]
    )
    message: str = Field(
        "If you are thinking about harming yourself, you don't have to face it alone. Please "
        "reach out to someone you trust, or a crisis line: in the US call or text 988; in the "
        "UK and Ireland, Samaritans on 116 123; elsewhere, https://findahelpline.com lists "
        "free, confidential lines.",
        min_length=1,
    )


class ElevenLabsConfig(_Section):
    base_url: str = "https://api.elevenlabs.io"
    model: str = "eleven_multilingual_v2"
    output_format: str = "pcm_24000"
    max_chars: int = Field(default=2500, ge=100, le=10000)
    voices_cache_s: float = Field(default=3600, ge=0)


class OfflineVoiceConfig(_Section):
    voice: str = "en-us"
    words_per_minute: int = Field(default=165, ge=80, le=450)


class VoiceConfig(_Section):
    provider: Literal["auto", "elevenlabs", "offline", "none"] = "auto"
    default_voice: str = ""
    default_on: bool = False
    max_chars: int = Field(default=2000, ge=1, le=20000)
    cache_mb: float = Field(default=200, ge=0)
    upload_mb: float = Field(default=10, gt=0, le=50)
    stt_model: str = ""
    stt_api_base: str = ""
    elevenlabs: ElevenLabsConfig = ElevenLabsConfig()
    offline: OfflineVoiceConfig = OfflineVoiceConfig()


class JobsConfig(_Section):
    decay: str = "15 3 * * *"
    retirement: str = "*/10 * * * *"
    mood: str = "0 * * * *"
    health: str = "30 6 * * *"
    vectors: str = "*/10 * * * *"

    @field_validator("decay", "retirement", "mood", "health", "vectors")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(f"not a cron schedule ({exc})") from None
        return value


class SchedulerConfig(_Section):
    enabled: bool = True
    timezone: str = "UTC"
    jobs: JobsConfig = JobsConfig()


class MoodConfig(_Section):
    enabled: bool = True
    relax_half_life_hours: float = Field(default=6, gt=0)


class GroupConfig(_Section):
    context: bool = True
    channel_chars: int = Field(default=3000, ge=0)
    reply_depth: int = Field(default=5, ge=0, le=50)
    keep: int = Field(default=500, ge=10)


class SceneConfig(_Section):
    mode: Literal["round_robin", "natural", "all"] = "natural"
    max_chain: int = Field(default=2, ge=0, le=20)
    max_personas: int = Field(default=6, ge=2, le=20)
    allow_bots: bool = False


class PersonasConfig(_Section):
    default: str = "assistant"
    presets_dir: str = ""


class AdminsConfig(_Section):
    console: list[str] = Field(default_factory=list)
    discord: list[str] = Field(default_factory=list)
    telegram: list[str] = Field(default_factory=list)

    def ids(self, platform: str) -> list[str]:
        """Admin ids configured for one platform."""
        return [str(x) for x in getattr(self, platform, [])]


class LimitsConfig(_Section):
    name: int = Field(32, ge=3, le=100)
    display_name: int = Field(64, ge=1)
    bio: int = Field(500, ge=1)
    prompt: int = Field(4000, ge=1)
    greeting: int = Field(1000, ge=1)
    example_dialogue: int = Field(4000, ge=1)
    post_history: int = Field(1000, ge=1)
    style: int = Field(500, ge=1)
    domains: int = Field(12, ge=0)
    message: int = Field(4000, ge=1)
    recent_turns: int = Field(20, ge=0)
    history_chars: int = Field(6000, ge=0)
    personas_per_user: int = Field(50, ge=1)
    user_name: int = Field(64, ge=1)
    user_about: int = Field(1000, ge=1)
    chat_title: int = Field(80, ge=1, le=100)
    chats_per_persona: int = Field(50, ge=1)
    card_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    card_field: int = Field(64_000, ge=100)
    lore_entries: int = Field(1_000, ge=1)
    picture_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    channel_turns: int = Field(20, ge=0, le=200)


class ConsoleAdapterConfig(_Section):
    enabled: Literal["auto", True, False] = "auto"


class DiscordAdapterConfig(_Section):
    enabled: Literal["auto", True, False] = "auto"
    message_content: bool = True
    webhooks: bool = True
    avatar_webhooks: int = Field(default=4, ge=0, le=14)
    edit_interval_s: float = Field(default=1.0, ge=1, le=10)
    sync_on_join: bool = True
    threads: bool = False
    reply_buttons: bool = True
    shard_count: int = Field(default=0, ge=0, le=10_000)
    shard_ids: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shards(self) -> DiscordAdapterConfig:
        if self.shard_ids and not self.shard_count:
            raise ValueError("shard_ids needs shard_count")
        wrong = [i for i in self.shard_ids if not 0 <= i < self.shard_count]
        if wrong:
            raise ValueError(f"shard ids {wrong} are not below shard_count {self.shard_count}")
        return self


class TelegramAdapterConfig(_Section):
    enabled: Literal["auto", True, False] = "auto"
    base_url: str = ""
    base_file_url: str = ""
    webhook_url: str = ""
    listen: str = "0.0.0.0"
    port: int = Field(default=8443, ge=1, le=65535)
    poll_timeout_s: float = Field(default=30, ge=0, le=600)
    edit_interval_s: float = Field(default=1.0, ge=1, le=10)
    wizard_timeout_s: float = Field(default=600, ge=10)
    reply_buttons: bool = True
    flood_retries: int = Field(default=3, ge=0, le=10)
    group_messages_per_minute: float = Field(default=20, ge=0)


class AdaptersConfig(_Section):
    console: ConsoleAdapterConfig = ConsoleAdapterConfig()
    discord: DiscordAdapterConfig = DiscordAdapterConfig()
    telegram: TelegramAdapterConfig = TelegramAdapterConfig()


class Settings(_Section):
    data_dir: Path = Path("data")
    database_url: str = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    log_libraries: bool = False
    llm: LLMConfig = LLMConfig()  # type: ignore[call-arg]
    personas: PersonasConfig = PersonasConfig()
    memory: MemoryConfig = MemoryConfig()  # type: ignore[call-arg]
    knowledge: KnowledgeConfig = KnowledgeConfig()  # type: ignore[call-arg]
    safety: SafetyConfig = SafetyConfig()  # type: ignore[call-arg]
    budgets: BudgetsConfig = BudgetsConfig()  # type: ignore[call-arg]
    access: AccessConfig = AccessConfig()  # type: ignore[call-arg]
    profiles: ProfilesConfig = ProfilesConfig()  # type: ignore[call-arg]
    admins: AdminsConfig = AdminsConfig()
    limits: LimitsConfig = LimitsConfig()  # type: ignore[call-arg]
    adapters: AdaptersConfig = AdaptersConfig()
    voice: VoiceConfig = VoiceConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    mood: MoodConfig = MoodConfig()
    group: GroupConfig = GroupConfig()
    scene: SceneConfig = SceneConfig()

    @property
    def vectors_location(self) -> LanceLocation:
        """Where the LanceDB tables live; shared when other workers may write there too (an
        object store, or any root beside a PostgreSQL database)."""
        uri = self.memory.vectors_dir or str(self.data_dir / "lancedb")
        shared = is_remote(uri) or not self.db_url.startswith("sqlite")
        return LanceLocation(uri, dict(self.memory.vectors_options), shared)

    @property
    def db_url(self) -> str:
        """The effective database URL (SQLite under data_dir unless set)."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'personabot.db'}"


def _apply_env(data: dict[str, Any], environ: dict[str, str]) -> None:
    for var, raw in sorted(environ.items()):
        if not var.startswith(ENV_PREFIX):
            continue
        path = [p.lower() for p in var[len(ENV_PREFIX) :].split("__") if p]
        if not path:
            continue
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError as exc:
            raise ConfigError(f"config error: {var}: not a valid value ({exc})") from None
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"config error: {var}: {part} is not a section")
            node = child
        node[path[-1]] = value


def _format(err: ValidationError) -> str:
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"])
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif "input" in first and not isinstance(first["input"], dict):
        msg = f"{msg} (got {first['input']!r})"
    more = f" (+{len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"config error: {key}: {msg}{more}"


def load_settings(
    path: str | Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    """Read the YAML file, apply PERSONABOT__* overrides and validate; raise ConfigError."""
    env = dict(os.environ if environ is None else environ)
    chosen = path or env.get(CONFIG_ENV)
    if chosen:
        file = Path(chosen)
    else:  # ./config.yaml, else the one beside the source tree, else built-in defaults
        file = next((f for f in (Path("config.yaml"), DEFAULT_CONFIG) if f.exists()), Path())
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {} if file.name else {}
    except FileNotFoundError:
        raise ConfigError(f"config error: file not found: {file}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config error: {file}: invalid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config error: {file}: the top level must be a mapping")
    raw_dir = data.get("data_dir")
    _apply_env(data, env)
    kept = data.get("data_dir") == raw_dir and raw_dir and not Path(str(raw_dir)).is_absolute()
    if file.name and kept:
        # A relative data_dir in the file means beside the file, wherever the bot is started
        # from; one given in the environment is taken as it is.
        data["data_dir"] = str(file.resolve().parent / str(raw_dir))
    try:
        return Settings.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format(err)) from None
