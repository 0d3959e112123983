"""Long-term memory: embeddings, recall scoring, extraction and the memory service."""
