/*
 * musl's stdio over files (its FILE reads with readv and writes with
 * writev, seeks with lseek), and the device files every Linux program may
 * open by absolute path: /dev/null and /dev/zero.
 */
#include "posix.h"

#include <string.h>

static const char *fgets_q(FILE *f)
{
	static char b[128];

	if (!fgets(b, sizeof(b), f))
		return feof(f) ? "EOF" : R(-1);
	return q(b, (long)strlen(b));
}

void case_stdio(void)
{
	FILE *f;
	static char big[100000];
	long n;

	mkdir_p("d");
	f = fopen("s", "w+");
	say("fopen_w_plus", "%s", f ? "ok" : R(-1));
	if (!f)
		return;
	say("fprintf", "%d", fprintf(f, "line %d\n", 1));
	say("fputs", "%d", fputs("second\n", f) >= 0);
	say("ftell", "%ld", ftell(f));
	rewind(f);
	say("fgets_1", "%s", fgets_q(f));
	say("fgets_2", "%s", fgets_q(f));
	say("fgets_eof", "%s", fgets_q(f));
	say("fseek_5", "%d", fseek(f, 5, SEEK_SET));
	say("fgetc", "%c", fgetc(f));
	say("fseek_end", "%d", fseek(f, 0, SEEK_END));
	say("ftell_end", "%ld", ftell(f));
	say("fclose", "%d", fclose(f));

	f = fopen("s", "a");
	say("fopen_a", "%s", f ? "ok" : R(-1));
	if (!f)
		return;
	say("append_fputs", "%d", fputs("third\n", f) >= 0);
	say("append_ftell", "%ld", ftell(f));
	say("append_fclose", "%d", fclose(f));
	say("content", "%s", CONTENT("s"));

	f = fopen("s", "r+");
	say("fopen_r_plus", "%s", f ? "ok" : R(-1));
	if (!f)
		return;
	memset(big, 'b', sizeof(big));
	say("fwrite_big", "%zu", fwrite(big, 1, sizeof(big), f));
	say("fflush", "%d", fflush(f));
	say("stat_after_fflush", "%s", ST("s"));
	rewind(f);
	n = (long)fread(big, 1, sizeof(big), f);
	say("fread_big", "%s", q(big, n));
	say("fclose_r_plus", "%d", fclose(f));

	f = fopen("nope", "r");
	say("fopen_missing", "%s", f ? "ok" : R(-1));
	f = fopen("d", "w");
	say("fopen_dir_w", "%s", f ? "ok" : R(-1));
	f = fopen("x", "wx");
	say("fopen_wx_new", "%s", f ? "ok" : R(-1));
	if (f)
		fclose(f);
	f = fopen("x", "wx");
	say("fopen_wx_existing", "%s", f ? "ok" : R(-1));
	{
		int fd = open("s", O_RDONLY);

		f = fdopen(fd, "r");
		say("fdopen", "%s", f ? "ok" : R(-1));
		if (!f)
			return;
		say("fdopen_fgets", "%s", fgets_q(f));
		fclose(f);
		say("fdopen_fd_closed", "%s", R(fcntl(fd, F_GETFD)));
	}
	f = fopen("s", "r");
	say("fopen_r", "%s", f ? "ok" : R(-1));
	if (!f)
		return;
	say("fgets_long_line", "%s", fgets_q(f));
	say("fileno_valid", "%s", yes(fcntl(fileno(f), F_GETFD) >= 0));
	fclose(f);
	say("remove_file", "%d", remove("x"));
	say("remove_dir", "%d", remove("d"));
	say("remove_gone", "%s", R(remove("d")));
}

void case_devices(void)
{
	int fd = open("/dev/null", O_RDWR);
	char b[8];
	long n;
	struct stat st;

	say("null_open", "%s", FD(fd));
	say("null_fstat_type", "%s", fstat(fd, &st) < 0 ? R(-1) : modestr(st.st_mode));
	say("null_write", "%s", R(write(fd, "hello", 5)));
	say("null_read", "%s", R(read(fd, b, sizeof(b))));
	say("null_pwrite", "%s", R(pwrite(fd, "x", 1, 100)));
	say("null_lseek", "%s", LSEEK(fd, 0, SEEK_SET));
	close(fd);
	say("null_stat_type", "%s", stat("/dev/null", &st) < 0 ? R(-1) : modestr(st.st_mode));
	say("null_under", "%s", OPEN("/dev/null/x", O_RDONLY, 0));
	fd = open("/dev/zero", O_RDONLY);
	say("zero_open", "%s", FD(fd));
	memset(b, 'x', sizeof(b));
	n = read(fd, b, sizeof(b));
	say("zero_read", "%s", n < 0 ? R(n) : q(b, n));
	close(fd);
	say("dev_is_dir", "%s", stat("/dev", &st) < 0 ? R(-1) : yes(S_ISDIR(st.st_mode)));
	say("missing_device", "%s", OPEN("/dev/remora-posix-no-such-device", O_RDONLY, 0));
}
