/* Per-operation cost of system calls, in TSC ticks: under QEMU with
 * -icount shift=0,sleep=off the guest TSC counts instructions, so the
 * figures are exact and repeat run to run. Each figure is the minimum over
 * REPS repetitions. Prints one "name ticks" line per operation. */
#include "../runtime/syscall.h"

#define REPS 200

static inline unsigned long ticks(void)
{
	unsigned int lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((unsigned long)hi << 32) | lo;
}

static void report(const char *name, unsigned long value)
{
	char digits[24];
	int n = 0;

	ukl_puts(1, name);
	ukl_puts(1, " ");
	do {
		digits[n++] = '0' + value % 10;
		value /= 10;
	} while (value);
	while (n)
		ukl_write(1, &digits[--n], 1);
	ukl_puts(1, "\n");
}

static unsigned long lower(unsigned long best, unsigned long start, unsigned long end)
{
	return end - start < best ? end - start : best;
}

static int tcp_pair(long *client, long *server_side)
{
	struct ukl_sockaddr_in a = { 2, 0x3930 /* htons(12345) */, 0x0100007f /* 127.0.0.1 */ };
	long listener = ukl_syscall3(SYS_socket, 2, 1, 0);
	int one = 1;

	ukl_syscall6(SYS_setsockopt, listener, 1, 2, (long)&one, sizeof(one), 0);
	if (ukl_syscall3(SYS_bind, listener, (long)&a, sizeof(a)) < 0 ||
	    ukl_syscall3(SYS_listen, listener, 1, 0) < 0)
		return -1;
	*client = ukl_syscall3(SYS_socket, 2, 1, 0);
	if (ukl_syscall3(SYS_connect, *client, (long)&a, sizeof(a)) < 0)
		return -1;
	ukl_syscall6(SYS_setsockopt, *client, 6, 1, (long)&one, sizeof(one), 0); /* TCP_NODELAY */
	*server_side = ukl_syscall3(SYS_accept, listener, 0, 0);
	return *server_side < 0 ? -1 : 0;
}

int main(void)
{
	unsigned long best, t0, t1, t2;
	char byte = 'x', buf[64] = { 0 };
	int fds[2], i;
	long client, server;

	best = ~0UL;
	for (i = 0; i < REPS; i++) {
		t0 = ticks();
		ukl_syscall0(SYS_getppid);
		best = lower(best, t0, ticks());
	}
	report("getppid", best);

	if (ukl_syscall3(SYS_pipe, (long)fds, 0, 0) < 0)
		return 1;
	best = ~0UL;
	for (i = 0; i < REPS; i++) {
		t0 = ticks();
		ukl_syscall3(SYS_write, fds[1], (long)&byte, 1);
		best = lower(best, t0, ticks());
	}
	report("write", best);
	best = ~0UL;
	for (i = 0; i < REPS; i++) {
		t0 = ticks();
		ukl_syscall3(SYS_read, fds[0], (long)&byte, 1);
		best = lower(best, t0, ticks());
	}
	report("read", best);

	if (tcp_pair(&client, &server) < 0)
		return 2;
	unsigned long send_best = ~0UL, recv_best = ~0UL;

	for (i = 0; i < REPS; i++) {
		t0 = ticks();
		ukl_syscall6(SYS_sendto, client, (long)&byte, 1, 0, 0, 0);
		t1 = ticks();
		ukl_syscall6(SYS_recvfrom, server, (long)&byte, 1, 0, 0, 0);
		t2 = ticks();
		send_best = lower(send_best, t0, t1);
		recv_best = lower(recv_best, t1, t2);
	}
	report("sendto", send_best);
	report("recvfrom", recv_best);

	best = ~0UL;
	for (i = 0; i < REPS; i++) {
		long got = 0;

		t0 = ticks();
		ukl_syscall6(SYS_sendto, client, (long)buf, sizeof(buf), 0, 0, 0);
		while (got < (long)sizeof(buf))
			got += ukl_syscall6(SYS_recvfrom, server, (long)buf + got, sizeof(buf) - got, 0, 0, 0);
		ukl_syscall6(SYS_sendto, server, (long)buf, sizeof(buf), 0, 0, 0);
		for (got = 0; got < (long)sizeof(buf);)
			got += ukl_syscall6(SYS_recvfrom, client, (long)buf + got, sizeof(buf) - got, 0, 0, 0);
		best = lower(best, t0, ticks());
	}
	report("echo", best);
	return 0;
}
