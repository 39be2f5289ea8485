"""The demo government that `make run` loads, and the benchmark's seeding command."""
