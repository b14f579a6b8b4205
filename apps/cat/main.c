/* The cat program: a wrapper around cat_main (cat.c), which the shell also
 * links as a built-in. */
#include "../lib/tools.h"

int main(int argc, char **argv)
{
	return cat_main(argc, argv);
}
