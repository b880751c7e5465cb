-- Keyword index and embedding invalidation for SQLite, kept in step by triggers.
-- Statements are separated by blank lines (store.search_keyword splits on them).
-- A plain (content-storing) FTS5 table keyed by job_id: an external-content table
-- would key on jobs.rowid, which VACUUM may renumber because jobs has a text key.
-- unicode61 splits on every non-alphanumeric character, as the query builder does,
-- so "INV-2093" is indexed as the adjacent tokens inv, 2093 and found by a phrase.
CREATE VIRTUAL TABLE IF NOT EXISTS jobs_fts USING fts5(
    job_id UNINDEXED,
    title,
    instructions,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER IF NOT EXISTS jobs_fts_after_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO jobs_fts (job_id, title, instructions) VALUES (new.id, new.title, new.instructions);
END;

-- Only a change of the searchable text touches the index; status writes do not.
-- The stored vector described the old text, so it is dropped for the embedder to redo.
CREATE TRIGGER IF NOT EXISTS jobs_fts_after_update AFTER UPDATE OF title, instructions ON jobs BEGIN
    DELETE FROM jobs_fts WHERE job_id = old.id;
    INSERT INTO jobs_fts (job_id, title, instructions) VALUES (new.id, new.title, new.instructions);
    UPDATE jobs SET embedding = NULL, embedding_model = NULL
     WHERE id = new.id AND (old.title IS NOT new.title OR old.instructions IS NOT new.instructions);
END;

CREATE TRIGGER IF NOT EXISTS jobs_fts_after_delete AFTER DELETE ON jobs BEGIN
    DELETE FROM jobs_fts WHERE job_id = old.id;
END;
