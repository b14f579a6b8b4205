/*
 * File locks within one process: POSIX record locks (fcntl F_SETLK, per
 * process, released by closing any descriptor of the file), open file
 * description locks (F_OFD_*, per open(2)), and flock(2) (per open(2)).
 * One process only: conflicts arise between two open(2)s of one file.
 * l_pid is never printed (it is the host's pid natively).
 */
#include "posix.h"

#include <sys/file.h>

static const char *ltype(short t)
{
	switch (t) {
	case F_RDLCK: return "F_RDLCK";
	case F_WRLCK: return "F_WRLCK";
	case F_UNLCK: return "F_UNLCK";
	default: return "F_?";
	}
}

static long setlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	return fcntl(fd, cmd, &fl);
}

/* The lock F_GETLK/F_OFD_GETLK reports for [start, start+len): its type
 * and range, or the error. */
static const char *getlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	static char b[128];

	if (fcntl(fd, cmd, &fl) < 0)
		return R(-1);
	if (fl.l_type == F_UNLCK)
		return "F_UNLCK";
	snprintf(b, sizeof(b), "%s start=%lld len=%lld", ltype(fl.l_type), (long long)fl.l_start,
		 (long long)fl.l_len);
	return b;
}

void case_locks(void)
{
	int a, b, c, ro;

	mkfile("f", "0123456789");
	a = open("f", O_RDWR);
	b = open("f", O_RDWR);
	ro = open("f", O_RDONLY);

	/* POSIX locks: one owner, the process */
	say("posix_wrlck", "%s", R(setlk(a, F_SETLK, F_WRLCK, 0, 10)));
	say("posix_same_process_other_fd", "%s", R(setlk(b, F_SETLK, F_WRLCK, 5, 10)));
	say("posix_getlk_own", "%s", getlk(a, F_GETLK, F_WRLCK, 0, 0));
	say("posix_setlkw", "%s", R(setlk(b, F_SETLKW, F_RDLCK, 0, 0)));
	say("posix_unlock", "%s", R(setlk(a, F_SETLK, F_UNLCK, 0, 0)));
	say("posix_wrlck_on_rdonly", "%s", R(setlk(ro, F_SETLK, F_WRLCK, 0, 1)));
	say("posix_rdlck_on_rdonly", "%s", R(setlk(ro, F_SETLK, F_RDLCK, 0, 1)));
	say("posix_bad_type", "%s", R(setlk(a, F_SETLK, 99, 0, 1)));
	say("posix_negative_start", "%s", R(setlk(a, F_SETLK, F_WRLCK, -1, 1)));
	say("posix_negative_len", "%s", R(setlk(a, F_SETLK, F_WRLCK, 5, -2)));
	say("posix_unlock_all", "%s", R(setlk(a, F_SETLK, F_UNLCK, 0, 0)));

	/* OFD locks: one owner per open(2), so a and b conflict */
	say("ofd_wrlck_a", "%s", R(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 0)));
	say("ofd_wrlck_b_conflicts", "%s", R(setlk(b, F_OFD_SETLK, F_WRLCK, 0, 0)));
	say("ofd_rdlck_b_conflicts", "%s", R(setlk(b, F_OFD_SETLK, F_RDLCK, 3, 1)));
	say("ofd_getlk_b", "%s", getlk(b, F_OFD_GETLK, F_RDLCK, 0, 0));
	say("ofd_getlk_a_own", "%s", getlk(a, F_OFD_GETLK, F_WRLCK, 0, 0));
	say("ofd_unlock_a", "%s", R(setlk(a, F_OFD_SETLK, F_UNLCK, 0, 0)));
	say("ofd_wrlck_b", "%s", R(setlk(b, F_OFD_SETLK, F_WRLCK, 0, 5)));
	say("ofd_getlk_a_sees_b", "%s", getlk(a, F_OFD_GETLK, F_WRLCK, 0, 0));
	say("ofd_close_b_releases", "%s", R(close(b)));
	say("ofd_getlk_after_close", "%s", getlk(a, F_OFD_GETLK, F_WRLCK, 0, 0));
	b = open("f", O_RDWR);

	/* closing any descriptor of the file drops the process's POSIX locks */
	say("posix_lock_again", "%s", R(setlk(a, F_SETLK, F_WRLCK, 0, 0)));
	say("posix_seen_by_ofd_query", "%s", getlk(b, F_OFD_GETLK, F_WRLCK, 0, 0));
	c = open("f", O_RDONLY);
	say("posix_close_other_fd", "%s", R(close(c)));
	say("posix_released_by_close", "%s", getlk(b, F_OFD_GETLK, F_WRLCK, 0, 0));

	/* flock: per open(2) as well */
	say("flock_ex_a", "%s", R(flock(a, LOCK_EX | LOCK_NB)));
	say("flock_ex_a_again", "%s", R(flock(a, LOCK_EX | LOCK_NB)));
	say("flock_ex_b_conflicts", "%s", R(flock(b, LOCK_EX | LOCK_NB)));
	say("flock_sh_b_conflicts", "%s", R(flock(b, LOCK_SH | LOCK_NB)));
	say("flock_downgrade_a", "%s", R(flock(a, LOCK_SH | LOCK_NB)));
	say("flock_sh_b", "%s", R(flock(b, LOCK_SH | LOCK_NB)));
	say("flock_upgrade_a_conflicts", "%s", R(flock(a, LOCK_EX | LOCK_NB)));
	say("flock_un_b", "%s", R(flock(b, LOCK_UN)));
	say("flock_upgrade_a", "%s", R(flock(a, LOCK_EX | LOCK_NB)));
	c = dup(a);
	say("flock_dup_shares", "%s", R(flock(c, LOCK_EX | LOCK_NB)));
	close(c);
	say("flock_kept_after_dup_close", "%s", R(flock(b, LOCK_EX | LOCK_NB)));
	say("flock_close_releases", "%s", R(close(a)));
	say("flock_ex_b_after_close", "%s", R(flock(b, LOCK_EX | LOCK_NB)));
	say("flock_bad_op", "%s", R(flock(b, 0)));
	say("flock_rdonly_ex", "%s", R(flock(ro, LOCK_EX | LOCK_NB)));
	close(b);
	say("flock_rdonly_ex_after", "%s", R(flock(ro, LOCK_EX | LOCK_NB)));
	close(ro);
}
