"""Content authored as files: flows, keywords and the engine's own texts."""
