"""Data-quality rules: thresholds, the pure logic behind each check, and the deadline."""
