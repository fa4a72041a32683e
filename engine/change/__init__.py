"""When the terms change: scenario suites, the diff of rulings between revisions, lint, canonical YAML."""
