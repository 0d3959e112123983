"""Platform adapters: they translate events to Incoming/CommandCall and render Replies."""
