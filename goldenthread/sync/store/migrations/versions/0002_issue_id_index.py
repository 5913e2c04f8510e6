"""index issues by Jira id (an issue moved to another project keeps its id, changes its key)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:00:00
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_issues_id', 'issues', ['id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_issues_id', table_name='issues')
