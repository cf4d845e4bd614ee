"""An installable app that adds a report by shipping a `reports` module."""
