/* Per-operation cost of system calls through libc, in TSC ticks: under QEMU
 * with -icount shift=0,sleep=off the guest TSC counts instructions, so the
 * figures are exact and repeat run to run. Each figure is the minimum over
 * REPS repetitions of the libc call, wrapper included, as a program makes it.
 * Prints one "name ticks" line per operation.
 *
 * MARK(k) brackets each repetition of the k-th operation printed (MARK(0)
 * ends it) for the transition counter, a QEMU plugin that counts syscall,
 * sysret, swapgs, ... executions per operation. A marker is a NOP the plugin
 * knows by its displacement ("UKL" and k): two more instructions in each
 * figure, at every level alike. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#define REPS 200

#define MARK(k) __asm__ volatile(".byte 0x0f, 0x1f, 0x84, 0x00, " #k ", 0x4c, 0x4b, 0x55" ::: "memory")

static inline unsigned long ticks(void)
{
	unsigned int lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((unsigned long)hi << 32) | lo;
}

static unsigned long lower(unsigned long best, unsigned long start, unsigned long end)
{
	return end - start < best ? end - start : best;
}

static int tcp_pair(int *client, int *server_side)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(12345),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;

	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(listener, 1) < 0)
		return -1;
	*client = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(*client, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	setsockopt(*client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*server_side = accept(listener, 0, 0);
	return *server_side < 0 ? -1 : 0;
}

int main(void)
{
	unsigned long best, t0, t1, t2, send_best, recv_best;
	char byte = 'x', buf[64] = { 0 };
	int fds[2], i, client, server;

	best = ~0UL;
	for (i = 0; i < REPS; i++) {
		t0 = ticks();
		MARK(1);
		getppid();
		MARK(0);
		best = lower(best, t0, ticks());
	}
	printf("getppid %lu\n", best);

	if (pipe(fds) < 0)
		return 1;
	best = ~0UL;
	for (i = 0; i < REPS; i++) {
		t0 = ticks();
		MARK(2);
		write(fds[1], &byte, 1);
		MARK(0);
		best = lower(best, t0, ticks());
	}
	printf("write %lu\n", best);
	best = ~0UL;
	for (i = 0; i < REPS; i++) {
		t0 = ticks();
		MARK(3);
		read(fds[0], &byte, 1);
		MARK(0);
		best = lower(best, t0, ticks());
	}
	printf("read %lu\n", best);

	if (tcp_pair(&client, &server) < 0)
		return 2;
	send_best = recv_best = ~0UL;
	for (i = 0; i < REPS; i++) {
		t0 = ticks();
		MARK(4);
		sendto(client, &byte, 1, 0, 0, 0);
		MARK(0);
		t1 = ticks();
		MARK(5);
		recvfrom(server, &byte, 1, 0, 0, 0);
		MARK(0);
		t2 = ticks();
		send_best = lower(send_best, t0, t1);
		recv_best = lower(recv_best, t1, t2);
	}
	printf("sendto %lu\n", send_best);
	printf("recvfrom %lu\n", recv_best);

	best = ~0UL;
	for (i = 0; i < REPS; i++) {
		long got = 0;

		t0 = ticks();
		MARK(6);
		sendto(client, buf, sizeof(buf), 0, 0, 0);
		while (got < (long)sizeof(buf))
			got += recvfrom(server, buf + got, sizeof(buf) - got, 0, 0, 0);
		sendto(server, buf, sizeof(buf), 0, 0, 0);
		for (got = 0; got < (long)sizeof(buf);)
			got += recvfrom(client, buf + got, sizeof(buf) - got, 0, 0, 0);
		MARK(0);
		best = lower(best, t0, ticks());
	}
	printf("echo %lu\n", best);
	return 0;
}
