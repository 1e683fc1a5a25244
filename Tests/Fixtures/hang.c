/* Never exits: the runner must stop the guest at its timeout and report it
 * with the console tail. */
#include <stdio.h>

int main(void)
{
	printf("hanging\n");
	fflush(stdout);
	for (;;)
		;
}
