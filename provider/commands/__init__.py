"""Operator commands (console scripts) built on the SparkPost client: actions and checks that
are not infrastructure, so not resources (``sparkpost-smtp-check``, ``sparkpost-data-privacy``)."""
