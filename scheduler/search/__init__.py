"""Finding jobs by meaning and by words: the encoder, the in-memory vector index, the embedder, fusion."""
