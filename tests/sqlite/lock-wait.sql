-- Lock test, the host holds the lock (tests/sqlite/run-tests):
--
--     sqlite3 -batch -init /lock-wait.sql /lock.db .quit
--
-- A host process (Python's sqlite3 module, Debian's libsqlite3) holds an
-- EXCLUSIVE lock with a row written but not committed. The first read must
-- fail at once with "database is locked" (no busy timeout). The application
-- then says so by creating @ROOT@/lock-waiting.txt, and reads again with a
-- busy timeout: SQLite retries (sleeping) until the host commits, and must
-- then see the host's row. No .bail: the first error is the point.
.mode list
.print remora-sqlite: begin
SELECT 'first', count(*) FROM t;
.output @ROOT@/lock-waiting.txt
.print waiting
.output
.timeout 60000
SELECT 'second', count(*), max(x) FROM t;
.print remora-sqlite: end
