"""The engine's version, stored with every run and every bootstrap chunk."""

# Bump when a change can alter any result: runs store it so that they stay explainable, and
# bootstrap chunks carry it so that a run resumed across an upgrade never mixes engines.
ENGINE_VERSION = "1.2.0"  # exact totals (1.1: means rounded before the weighted sum)
