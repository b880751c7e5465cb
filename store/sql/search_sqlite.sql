-- Keyword index and embedding invalidation for SQLite, kept in step by triggers.
-- Statements are separated by blank lines (store.search_keyword splits on them).
-- A plain (content-storing) FTS5 table whose rowids are numbered per owner:
-- rowid = owner number * 2^32 + the owner's sequence, so each owner's rows form one
-- rowid range and a search restricted to that range reads only the owner's share of
-- every term's list (FTS5 seeks its lists by rowid). jobs.rowid is not used: VACUUM
-- may renumber it because jobs has a text key.
-- unicode61 splits on every non-alphanumeric character, as the query builder does,
-- so "INV-2093" is indexed as the adjacent tokens inv, 2093 and found by a phrase.
CREATE TABLE IF NOT EXISTS jobs_fts_owners (
    num INTEGER PRIMARY KEY,
    owner TEXT NOT NULL UNIQUE,
    last_seq INTEGER NOT NULL DEFAULT 0
);

-- Which index row holds a job (FTS5 finds rows by rowid only).
CREATE TABLE IF NOT EXISTS jobs_fts_rows (
    job_id TEXT PRIMARY KEY,
    fts_rowid INTEGER NOT NULL
) WITHOUT ROWID;

CREATE VIRTUAL TABLE IF NOT EXISTS jobs_fts USING fts5(
    job_id UNINDEXED,
    title,
    instructions,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER IF NOT EXISTS jobs_fts_after_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO jobs_fts_owners (owner, last_seq) VALUES (new.owner, 1)
        ON CONFLICT (owner) DO UPDATE SET last_seq = last_seq + 1;
    INSERT INTO jobs_fts_rows (job_id, fts_rowid)
        SELECT new.id, (num << 32) + last_seq FROM jobs_fts_owners WHERE owner = new.owner;
    INSERT INTO jobs_fts (rowid, job_id, title, instructions)
        SELECT fts_rowid, new.id, new.title, new.instructions FROM jobs_fts_rows WHERE job_id = new.id;
END;

-- Only a change of the searchable text touches the index; status writes do not.
-- The stored vector described the old text, so it is dropped for the embedder to redo.
CREATE TRIGGER IF NOT EXISTS jobs_fts_after_update AFTER UPDATE OF title, instructions ON jobs BEGIN
    UPDATE jobs_fts SET title = new.title, instructions = new.instructions
     WHERE rowid = (SELECT fts_rowid FROM jobs_fts_rows WHERE job_id = new.id);
    UPDATE jobs SET embedding = NULL, embedding_model = NULL
     WHERE id = new.id AND (old.title IS NOT new.title OR old.instructions IS NOT new.instructions);
END;

CREATE TRIGGER IF NOT EXISTS jobs_fts_after_delete AFTER DELETE ON jobs BEGIN
    DELETE FROM jobs_fts WHERE rowid = (SELECT fts_rowid FROM jobs_fts_rows WHERE job_id = old.id);
    DELETE FROM jobs_fts_rows WHERE job_id = old.id;
END;
