/* The Linux x86_64 name of a system call number ("openat"), or "unknown".
 * The table is generated from musl's headers (tools/syscall-names.sh). */
#pragma once

#include <stdint.h>

const char *syscall_name(uint64_t nr);
