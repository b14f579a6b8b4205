/* The find program: a wrapper around find_main (find.c), which the shell also
 * links as a built-in. */
#include "../lib/tools.h"

int main(int argc, char **argv)
{
	return find_main(argc, argv);
}
