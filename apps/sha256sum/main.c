/* The sha256sum program: a wrapper around sha256sum_main (sha256sum.c), which the shell also
 * links as a built-in. */
#include "../lib/tools.h"

int main(int argc, char **argv)
{
	return sha256sum_main(argc, argv);
}
