/*
 * cat [FILE...]: copy each FILE ("-" or none: standard input) to standard
 * output. Errors: "cat: FILE: strerror", status 1, the other files still
 * copied.
 *   make APP=apps/cat && ./remora run --share DIR build/remora notes.txt
 */
#include "../lib/applib.h"
#include "../lib/tools.h"

#include <fcntl.h>
#include <unistd.h>

#define CAT_BUF 65536

/* Copies fd to stdout; 0, or an errno value (*wrote: failed on output). */
static int cat_fd(int fd, int *wrote)
{
	static char buf[CAT_BUF];
	ssize_t n;

	*wrote = 0;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			*wrote = 1;
			return errno ? errno : EIO;
		}
	}
	return 0;
}

int cat_main(int argc, char **argv)
{
	unsigned char flags[256];
	int first = app_options(argc, argv, "cat", "u", flags, "cat [-u] [FILE...]");
	int status = 0;
	char *stdin_only[] = { "-" };
	char **files = argv + first;
	int nfiles = argc - first;

	if (first < 0)
		return 1;
	if (nfiles == 0) {
		files = stdin_only;
		nfiles = 1;
	}
	for (int i = 0; i < nfiles; i++) {
		const char *name = files[i];
		int is_stdin = strcmp(name, "-") == 0;
		int fd = is_stdin ? 0 : open(name, O_RDONLY);
		int err, wrote;

		if (fd < 0) {
			app_err("cat", name, errno);
			status = 1;
			continue;
		}
		err = cat_fd(fd, &wrote);
		if (err) {
			app_err("cat", wrote ? "write error" : name, err);
			status = 1;
		}
		if (!is_stdin)
			close(fd);
	}
	if (fflush(stdout) != 0) {
		app_err("cat", "write error", errno);
		status = 1;
	}
	return status;
}
