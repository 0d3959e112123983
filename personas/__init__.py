"""The persona domain: what a persona is, presets, templates, traits and prompt building."""
