"""The registration tests use the shared fixtures of tests/conftest.py (outlets, staff of each role,
API clients, sessions); nothing of their own."""
