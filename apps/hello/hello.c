/* The smallest bundled application: writes a line from its data and one from
 * its arguments, and exits with a status of its own. */
#include "../runtime/syscall.h"

int main(int argc, char **argv)
{
	ukl_puts(1, "hello from ukl-opt\n");
	ukl_puts(1, argv[0]);
	ukl_puts(1, "\n");
	return 40 + argc;
}
