"""Documents keep their tables without cells (what the audit reads); a run names its upload, one run per upload.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tables', sa.JSON(), nullable=True))

    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('upload_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_runs_upload_id'), ['upload_id'])
        batch_op.create_foreign_key(batch_op.f('fk_runs_upload_id_uploads'), 'uploads', ['upload_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_runs_upload_id_uploads'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_runs_upload_id'), type_='unique')
        batch_op.drop_column('upload_id')

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('tables')

