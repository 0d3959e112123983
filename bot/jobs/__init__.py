"""Scheduled jobs: memory decay, persona retirement, moods relaxing, memory health."""
