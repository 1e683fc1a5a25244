/* Writes a line, then dereferences a null pointer: at linux the kernel kills
 * init and panics, at a UKL level the kernel oopses. Either way the runner
 * must report it with the console tail instead of hanging. */
#include <stdio.h>

int main(void)
{
	volatile int *null = 0;

	printf("about to crash\n");
	fflush(stdout);
	return *null;
}
