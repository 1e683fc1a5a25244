/* The smallest bundled application: an ordinary C program that prints a line
 * from its data and one from its arguments, and exits with a status of its own. */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello from ukl-opt\n");
	printf("%s\n", argv[0]);
	return 40 + argc;
}
