/*
 * hello: the smallest remora application. Greets, then shows the arguments
 * it was given, one per line in brackets, so the kernel command line's
 * quoting can be checked by eye:
 *   ./remora run build/remora 'two words' "it's"
 *   hello, world
 *   argc: 3
 *   argv[1]: [two words]
 *   argv[2]: [it's]
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello, world\n");
	printf("argc: %d\n", argc);
	for (int i = 1; i < argc; i++)
		printf("argv[%d]: [%s]\n", i, argv[i]);
	return 0;
}
