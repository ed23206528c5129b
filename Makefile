# The two quick-start commands of the README, and a few helpers.
.PHONY: run test setup lint openapi

run:      ## set up, index the samples into the embedded store, serve on :8080
	scripts/run.sh

test:     ## set up and run the whole suite (starts a real Elasticsearch)
	scripts/test.sh

setup:
	scripts/setup.sh

lint:
	.venv/bin/ruff check api indexer tests && .venv/bin/mypy

openapi:  ## regenerate openapi.yaml from the code
	.venv/bin/storyrecords openapi > openapi.yaml
