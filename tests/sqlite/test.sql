-- The SQLite workload of tests/sqlite/run-tests, run by the sqlite3 shell as
-- remora's application (and natively, by the same objects linked for the
-- host):
--
--     sqlite3 -batch -bail -init /test.sql /test.db .quit
--
-- It creates the database, inserts 100 000 rows in one transaction (about
-- 10 MiB: more than the 2 MiB page cache, so pages spill to the file while
-- the rollback journal is live), changes and rolls back, and then prints
-- `label|values` lines between the two remora-sqlite markers. run-tests
-- compares them with answers computed in Python, and runs the queries part
-- again on the host with Debian's sqlite3 on the file the guest left.
-- Row i (1..100000): k = i % 7, v = i*7919 % 100003, name = 'n' and 8 hex
-- digits of i*2654435761 mod 2^32 (a bijection: unique, in no order, so
-- the index grows everywhere at once), pad = i % 200 times 'x'.
.bail on
.mode list
.headers off
.print remora-sqlite: begin
SELECT 'journal_mode', journal_mode FROM pragma_journal_mode;
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v INTEGER NOT NULL,
               name TEXT NOT NULL, pad TEXT NOT NULL);
CREATE UNIQUE INDEX t_name ON t(name);
CREATE TEMP TABLE clock(t0 REAL);
INSERT INTO clock VALUES (julianday('now'));
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000)
INSERT INTO t(id, k, v, name, pad)
  SELECT i, i % 7, i * 7919 % 100003, printf('n%08x', i * 2654435761 % 4294967296),
         substr(printf('%.199c', 'x'), 1, i % 200)
  FROM c;
COMMIT;
SELECT 'time-insert-ms', CAST((julianday('now') - t0) * 86400000 AS INTEGER) FROM clock;
-- A committed change and a rolled-back one (a seventh of the table: the
-- rollback reads the journal back).
UPDATE t SET v = v + 1 WHERE k = 0;
BEGIN;
DELETE FROM t WHERE k = 3;
UPDATE t SET pad = '' WHERE k = 5;
ROLLBACK;
-- queries: (run-tests runs the lines from here to "end of queries" on the host too)
SELECT 'count', count(*) FROM t;
SELECT 'sums', sum(id), sum(v), sum(length(pad)) FROM t;
SELECT 'group', k, count(*), sum(v), min(name), max(name) FROM t GROUP BY k ORDER BY k;
-- INDEXED BY: an error unless the index does the lookup.
SELECT 'lookup', id, k, v, length(pad) FROM t INDEXED BY t_name
  WHERE name = printf('n%08x', 54321 * 2654435761 % 4294967296);
SELECT 'range', count(*), sum(id) FROM t INDEXED BY t_name
  WHERE name >= 'n10000000' AND name < 'n20000000';
SELECT 'integrity', integrity_check FROM pragma_integrity_check;
-- end of queries
.print remora-sqlite: end
