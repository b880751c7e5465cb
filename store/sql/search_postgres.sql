-- Keyword index and embedding invalidation for PostgreSQL, kept in step by the database.
-- Statements are separated by blank lines (store.search_keyword splits on them).
-- Every non-alphanumeric run becomes a space before parsing: the default parser would
-- read "INV-2093" as 'inv' and the signed number '-2093'; split, it is the adjacent
-- lexemes inv, 2093, which a phrase query (inv <-> 2093) matches whole.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS search_tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english'::regconfig,
        regexp_replace(coalesce(title, ''), '[^[:alnum:]]+', ' ', 'g')), 'A')
    || setweight(to_tsvector('english'::regconfig,
        regexp_replace(coalesce(instructions, ''), '[^[:alnum:]]+', ' ', 'g')), 'B')
) STORED;

-- Its GIN index, over (owner, search_tsv) where the btree_gin extension can be had, is made by
-- store.search_keyword.ensure_keyword_index: it needs a fallback this file cannot express.

-- The stored vector described the old text; drop it so the embedder redoes it.
CREATE OR REPLACE FUNCTION jobs_drop_stale_embedding() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.title IS DISTINCT FROM OLD.title OR NEW.instructions IS DISTINCT FROM OLD.instructions)
       AND NEW.embedding IS NOT DISTINCT FROM OLD.embedding THEN
        NEW.embedding := NULL;
        NEW.embedding_model := NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER jobs_drop_stale_embedding BEFORE UPDATE OF title, instructions ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobs_drop_stale_embedding();
