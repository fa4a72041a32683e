"""Alembic's entry point for kiyaku's store: always run programmatically (kiyaku.store.schema.upgrade)
on a connection that is already in the caller's transaction, so a failed upgrade leaves the store as it was."""

from alembic import context

from kiyaku.store.schema import VERSION_TABLE

context.configure(connection=context.config.attributes["connection"], version_table=VERSION_TABLE,
                  transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
