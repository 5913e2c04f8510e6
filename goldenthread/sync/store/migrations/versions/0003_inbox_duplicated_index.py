"""partial index on the inbox rows that were delivered more than once (the status page's total)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:10:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    where = sa.text('duplicates > 0')
    op.create_index('ix_inbox_duplicated', 'webhook_inbox', ['duplicates'], unique=False,
                    sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    op.drop_index('ix_inbox_duplicated', table_name='webhook_inbox')
