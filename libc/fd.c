/*
 * The file descriptor table: small integers naming open files (fs/vfs.h
 * struct file), with the close-on-exec flag kept per descriptor as Linux
 * does (it is per descriptor, not per open file). Descriptors 0-2 are the
 * console (libc_init).
 */
#include <stdbool.h>
#include <stddef.h>

#include "fs/vfs.h"
#include "kernel/errno.h"
#include "libc/libc.h"

struct fdent fd_table[FD_MAX];

int fd_install(struct file *f, int min, bool cloexec)
{
	for (int fd = min < 0 ? 0 : min; fd < FD_MAX; fd++) {
		if (!fd_table[fd].f) {
			fd_table[fd].f = f;
			fd_table[fd].cloexec = cloexec;
			return fd;
		}
	}
	return -EMFILE;
}

int fd_close(int fd)
{
	struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	fd_table[fd].f = NULL;
	return vfs_close(f);
}

int fd_dup2(int oldfd, int newfd, bool cloexec)
{
	struct file *f = fd_get(oldfd);

	if (!f || newfd < 0 || newfd >= FD_MAX)
		return -EBADF;
	if (oldfd == newfd) {
		fd_table[newfd].cloexec = cloexec;
		return newfd;
	}
	vfs_file_dup(f);
	if (fd_table[newfd].f)
		vfs_close(fd_table[newfd].f);        /* errors are ignored, as dup2 does */
	fd_table[newfd].f = f;
	fd_table[newfd].cloexec = cloexec;
	return newfd;
}

int fd_get_cloexec(int fd)
{
	if (!fd_get(fd))
		return -EBADF;
	return fd_table[fd].cloexec;
}

int fd_set_cloexec(int fd, bool on)
{
	if (!fd_get(fd))
		return -EBADF;
	fd_table[fd].cloexec = on;
	return 0;
}

void fd_close_all(void)
{
	for (int fd = 0; fd < FD_MAX; fd++)
		if (fd_table[fd].f)
			fd_close(fd);
}
