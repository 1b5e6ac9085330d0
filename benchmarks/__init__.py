"""The benchmark behind `python manage.py bench`: one synthetic corpus, our engine and its peers.

The parent process (the command) only orchestrates: every measured part runs in a child process
whose settings point at the benchmark's own data folder, so the user's database and index are
never opened, and each engine's peak memory is its own process's.
"""
