"""The Newsroom benchmark; see bench/run.py (`make bench`)."""
