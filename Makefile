# Schoolgate: `make run` sets up and shows the demo; `make test` sets up and runs every check.
VENV := .venv
PY := $(VENV)/bin/python
SG := $(VENV)/bin/schoolgate
DATA := var

.PHONY: setup run test lint typecheck contracts sanitize pytest bench clean

setup:
	@scripts/setup.sh

run: setup
	@scripts/demo.sh

test: setup lint typecheck contracts sanitize pytest

# What the tests run for real: Squid (with TLS, for interception); ab for the Squid throughput bench;
# Chromium for the browser tests of the block page; unbound for the DNS filtering tests, dnsperf for
# the DNS throughput bench's own test; PostgreSQL, on which the web application's tests run a second time
# (all but the browser journeys, which look at the pages, not the database: the same queries run on
# PostgreSQL in the view tests, and a browser pass would add minutes that tell nothing new); nginx, the TLS reverse proxy in front of `schoolgate web serve`
# in its test; systemd, whose `systemd-analyze verify` checks the units in deploy/systemd; faketime, whose
# library moves the Squid helper's clock an hour on in the requests' journey (a grant that ends).
# The monitoring's page tests, left out of the PostgreSQL pass like the browser tests: they look at
# pages whose queries the ORM writes alike for both databases; what the monitoring asks of PostgreSQL
# itself (the ingester's COPY and upserts, partitions and retention, the worker killed and the database
# stopped, the weekly figures, the alert rules' queries, notifications, the actions, the export) runs
# on both.
# Two checks of every page run once, in the PostgreSQL pass and not the SQLite one, so that the two
# passes side by side take about as long as each other (together about 5 minutes): every page in
# Chromium under axe-core (tests/web/browser/test_pages.py) and the permission matrix (every page for
# every role, tests/web/test_permissions.py). The browser journeys run on SQLite only.
PAGE_ONLY := test_activity_views test_alert_views test_phrasebook test_report_views test_home test_check test_reviews
ONCE_ON_POSTGRESQL := tests/web/browser/test_pages.py tests/web/test_permissions.py
BROWSER_JOURNEYS := $(filter-out tests/web/browser/test_pages.py,$(wildcard tests/web/browser/test_*.py))
TEST_PACKAGES := squid-openssl apache2-utils chromium unbound dnsperf postgresql nginx systemd faketime

lint:
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck:
	$(VENV)/bin/mypy

contracts:
	$(VENV)/bin/lint-imports

# The C twin tests once more, with the C built under AddressSanitizer and UBSan (scripts/sanitize.py).
sanitize: setup
	$(PY) scripts/sanitize.py

# The two passes run side by side (scripts/test_passes.py says why and how).
pytest:
	@scripts/setup.sh $(TEST_PACKAGES)
	$(PY) scripts/test_passes.py $(foreach t,$(ONCE_ON_POSTGRESQL),--ignore=$(t)) \
	    -- tests/web -p no:cacheprovider $(foreach j,$(BROWSER_JOURNEYS),--ignore=$(j)) \
	    $(foreach m,$(PAGE_ONLY),--ignore=tests/web/monitoring/$(m).py)

bench: setup
	@scripts/setup.sh squidguard time apache2-utils squid-openssl dnsperf unbound
	$(PY) bench/run_all.py

clean:
	rm -rf $(DATA) .pytest_cache .mypy_cache .ruff_cache
