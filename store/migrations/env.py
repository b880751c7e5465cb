"""alembic's environment for the revisions in versions/.

At start jobs-mcp runs the revisions on its own connection (store/schema.py hands it over in
`config.attributes["connection"]`). From the alembic command line (docs/migrations.md) the
database comes from `-x url=...`.
"""

from __future__ import annotations

from alembic import context

from store.engine import make_engine
from store.schema import configure_context

connection = context.config.attributes.get("connection")
if connection is not None:
    configure_context(context, connection)
    with context.begin_transaction():
        context.run_migrations()
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database: alembic -c store/migrations/alembic.ini -x url=sqlite:///path ...")
    engine = make_engine(url)
    with engine.begin() as conn:
        configure_context(context, conn)
        context.run_migrations()
    engine.dispose()
