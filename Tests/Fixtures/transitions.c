/* Known transitions: 20 windows of 10 getppid() calls each, marked for the
 * transition counter (see apps/syscall-bench/bench.c). At linux each window
 * is 10 syscalls, 10 sysrets and 20 swapgs; at the direct levels none. The
 * second line is the instructions of all windows, which must not change
 * when QEMU loads the counter. */
#include <stdio.h>
#include <unistd.h>

#define MARK(k) __asm__ volatile(".byte 0x0f, 0x1f, 0x84, 0x00, " #k ", 0x4c, 0x4b, 0x55" ::: "memory")

static inline unsigned long ticks(void)
{
	unsigned int lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((unsigned long)hi << 32) | lo;
}

int main(void)
{
	unsigned long start = ticks();

	for (int window = 0; window < 20; window++) {
		MARK(1);
		for (int i = 0; i < 10; i++)
			getppid();
		MARK(0);
	}
	printf("calls 10\n");
	printf("ticks %lu\n", ticks() - start);
	return 0;
}
