"""creditflow's benchmarks: ``python -m benchmarks [--quick] [scenario ...]``.

Every figure that matters is a ratio measured in the same process, so results compare across
machines; absolute times are reported for context only.
"""
