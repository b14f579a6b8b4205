-- Lock test, the application holds the lock (tests/sqlite/run-tests):
--
--     sqlite3 -batch -bail -init /lock-hold.sql /lock.db
--
-- Takes an EXCLUSIVE lock (rollback journal mode: at BEGIN), writes a row,
-- and tells the host it holds the lock by creating @ROOT@/lock-held.txt
-- (a file, not a console line: stdout need not be line-buffered). The shell
-- then reads the rest from stdin, the serial console: run-tests types
-- `SELECT ...; COMMIT; .quit` once it has seen the host's sqlite3 fail with
-- "database is locked". @ROOT@ is the shared root ("" in the guest).
.bail on
.mode list
BEGIN EXCLUSIVE;
INSERT INTO t VALUES (4);
.output @ROOT@/lock-held.txt
.print held
.output
