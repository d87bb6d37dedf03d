"""The course's benchmark (`make bench`): see bench/README.md and bench/bench.py."""
