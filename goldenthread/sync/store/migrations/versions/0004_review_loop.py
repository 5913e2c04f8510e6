"""minutes pages (created once per month), the manual edit a publish found, issues' release notes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('minutes_pages',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('page_id', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('how', sa.String(length=16), nullable=False),
    sa.Column('gone_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('month')
    )
    with op.batch_alter_table('published_pages') as batch:
        batch.add_column(sa.Column('manual_edit_version', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('manual_edit_by', sa.String(length=128), nullable=True))
        batch.add_column(sa.Column('manual_edit_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('issues') as batch:
        batch.add_column(sa.Column('release_note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('issues') as batch:
        batch.drop_column('release_note')
    with op.batch_alter_table('published_pages') as batch:
        batch.drop_column('manual_edit_at')
        batch.drop_column('manual_edit_by')
        batch.drop_column('manual_edit_version')
    op.drop_table('minutes_pages')
