/* The ls program: a wrapper around ls_main (ls.c), which the shell also
 * links as a built-in. */
#include "../lib/tools.h"

int main(int argc, char **argv)
{
	return ls_main(argc, argv);
}
