/*
 * Everything in the guest that could come from the host: the guest clock
 * when main starts (icount ticks), the RNG (through the boot_id it draws),
 * the ephemeral port a connect picks, and the wall clock. Two boots of one
 * image must print the same line, or tick figures cannot repeat exactly.
 */
#include "../../apps/runtime/syscall.h"

enum { SYS_getsockname = 51, SYS_clock_gettime = 228 };

static char line[128];
static long used;

static void say(const char *s, long n)
{
	for (long i = 0; i < n && used < (long)sizeof(line) - 1; i++)
		line[used++] = s[i];
}

static void say_number(unsigned long value)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = '0' + value % 10;
		value /= 10;
	} while (value);
	while (n)
		say(&digits[--n], 1);
}

int main(void)
{
	struct ukl_sockaddr_in a = { 2, 0x3b30 /* htons(12347) */, 0x0100007f };
	struct ukl_sockaddr_in local = { 0 };
	int length = sizeof(local);
	long ts[2], fd, n, listener, client;
	char id[40];
	unsigned int lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	say("tsc ", 4);
	say_number((unsigned long)hi << 32 | lo);
	fd = ukl_syscall3(SYS_open, (long)"/proc/sys/kernel/random/boot_id", 0, 0);
	n = fd < 0 ? -1 : ukl_syscall3(SYS_read, fd, (long)id, 36);
	if (n != 36)
		return 1;
	say(" boot_id ", 9);
	say(id, n);

	listener = ukl_syscall3(SYS_socket, 2, 1, 0);
	client = ukl_syscall3(SYS_socket, 2, 1, 0);
	if (ukl_syscall3(SYS_bind, listener, (long)&a, sizeof(a)) < 0 ||
	    ukl_syscall3(SYS_listen, listener, 1, 0) < 0 ||
	    ukl_syscall3(SYS_connect, client, (long)&a, sizeof(a)) < 0 ||
	    ukl_syscall3(SYS_getsockname, client, (long)&local, (long)&length) < 0)
		return 2;
	say(" port ", 6);
	say_number((unsigned short)(local.port << 8 | local.port >> 8));

	if (ukl_syscall3(SYS_clock_gettime, 0 /* CLOCK_REALTIME */, (long)ts, 0) < 0)
		return 3;
	say(" clock ", 7);
	say_number(ts[0]);
	say("\n", 1);
	ukl_write(1, line, used);
	return 0;
}
