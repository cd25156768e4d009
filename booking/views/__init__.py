"""Blueprints: parse → authorise → one service call → render or redirect."""
