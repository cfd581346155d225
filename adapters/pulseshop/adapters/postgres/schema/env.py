"""Alembic's environment for PulseShop's schema.

Migrations run only through `pulseshop.adapters.postgres.migrations`, which opens an
async SQLAlchemy connection (alembic's async recipe), takes the migration lock and
hands the connection in here; there is no alembic.ini to point elsewhere.
"""

from alembic import context
from sqlalchemy.engine import Connection

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise TypeError("run PulseShop's migrations with `pulseshop migrate`")

context.configure(connection=connection)
with context.begin_transaction():
    context.run_migrations()
