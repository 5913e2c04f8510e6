"""issues' project name as Jira gives it (What's new names products by it, not by the key)

Rows synced before this migration keep NULL until the next sync sees them again; readers fall
back to the project key.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 21:30:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('issues') as batch:
        batch.add_column(sa.Column('project_name', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('issues') as batch:
        batch.drop_column('project_name')
