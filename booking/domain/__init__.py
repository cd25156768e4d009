"""Pure booking rules: no Flask, no SQLAlchemy, no clock."""
