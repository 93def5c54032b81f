"""The stock Wagtail search peer's one model (bench/search only; never installed in govsite)."""
