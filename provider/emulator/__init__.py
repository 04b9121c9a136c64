"""Local SparkPost REST API emulator (see `provider.emulator.sparkpost`).

Nothing is imported here on purpose: `import provider.emulator` stays free.
"""
