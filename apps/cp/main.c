/* The cp program: a wrapper around cp_main (cp.c), which the shell also
 * links as a built-in. */
#include "../lib/tools.h"

int main(int argc, char **argv)
{
	return cp_main(argc, argv);
}
