"""Browser tests: the demo city in headless Chromium (see conftest.py)."""
