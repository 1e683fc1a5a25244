/*
 * Pipes, a regular file, heap pages (brk and mmap), a loopback TCP
 * connection used with read/write and sendto/recvfrom, a signal sent to
 * itself and handled, and one call whose number is not a constant. Every level must print the same line; at the
 * shortcut level the pipe and file reads and writes take the fallback path.
 */
#include "../../apps/runtime/syscall.h"

static char line[256];
static long used;

static void say(const char *s, long n)
{
	for (long i = 0; i < n && used < (long)sizeof(line) - 1; i++)
		line[used++] = s[i];
}

static volatile int signalled;

static void on_signal(int sig)
{
	signalled = sig;
}

/* What a libc's sa_restorer is: rt_sigreturn, on the signal frame. */
__attribute__((naked)) static void restore(void)
{
	__asm__ volatile("movl $15, %eax\n\tsyscall");
}

/* Touches every page of [p, p + len) from the application itself. */
static long touch(char *p, long len)
{
	long sum = 0;

	for (long i = 0; i < len; i += 4096)
		p[i] = (char)(i >> 12);
	for (long i = 0; i < len; i += 4096)
		sum += p[i];
	return sum;
}

int main(void)
{
	int fds[2];
	char buf[64];
	long n, fd, heap, top, map, server, client, conn;
	struct ukl_sockaddr_in a = { 2, 0x3a30 /* htons(12346) */, 0x0100007f };
	int one = 1;
	volatile long dynamic = SYS_getpid;

	if (ukl_syscall3(SYS_pipe, (long)fds, 0, 0) < 0)
		return 1;
	ukl_write(fds[1], "pipe ", 5);
	n = ukl_syscall3(SYS_read, fds[0], (long)buf, sizeof(buf));
	say(buf, n);

	fd = ukl_syscall3(SYS_open, (long)"/mixed.txt", 0102 /* O_RDWR|O_CREAT */, 0644);
	if (fd < 0)
		return 2;
	ukl_write(fd, "file ", 5);
	ukl_syscall3(SYS_lseek, fd, 0, 0);
	n = ukl_syscall3(SYS_read, fd, (long)buf, sizeof(buf));
	say(buf, n);
	ukl_syscall3(SYS_close, fd, 0, 0);

	heap = ukl_syscall3(SYS_brk, 0, 0, 0);
	top = ukl_syscall3(SYS_brk, heap + 64 * 4096, 0, 0);
	map = ukl_syscall6(SYS_mmap, 0, 32 * 4096, 3 /* RW */, 0x22 /* PRIVATE|ANON */, -1, 0);
	if (top != heap + 64 * 4096 || map < 0)
		return 3;
	if (touch((char *)heap, 64 * 4096) + touch((char *)map, 32 * 4096) == 2512)
		say("heap ", 5);
	ukl_syscall3(SYS_munmap, map, 32 * 4096, 0);

	server = ukl_syscall3(SYS_socket, 2, 1, 0);
	ukl_syscall6(SYS_setsockopt, server, 1, 2, (long)&one, sizeof(one), 0);
	if (ukl_syscall3(SYS_bind, server, (long)&a, sizeof(a)) < 0 ||
	    ukl_syscall3(SYS_listen, server, 1, 0) < 0)
		return 4;
	client = ukl_syscall3(SYS_socket, 2, 1, 0);
	if (ukl_syscall3(SYS_connect, client, (long)&a, sizeof(a)) < 0)
		return 5;
	conn = ukl_syscall3(SYS_accept, server, 0, 0);
	if (conn < 0)
		return 6;
	ukl_write(client, "tcp ", 4);
	n = ukl_syscall3(SYS_read, conn, (long)buf, sizeof(buf));
	say(buf, n);
	ukl_syscall6(SYS_sendto, conn, (long)"sendto ", 7, 0, 0, 0);
	n = ukl_syscall6(SYS_recvfrom, client, (long)buf, sizeof(buf), 0, 0, 0);
	say(buf, n);

	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} action = { on_signal, 0x04000000 /* SA_RESTORER */, restore, 0 };
	ukl_syscall6(SYS_rt_sigaction, 10 /* SIGUSR1 */, (long)&action, 0, 8, 0, 0);
	ukl_syscall3(SYS_kill, ukl_syscall0(SYS_getpid), 10, 0);
	if (signalled == 10)
		say("signal ", 7);

	if (ukl_syscall0(dynamic) > 0)
		say("pid\n", 4);
	ukl_write(1, line, used);
	return 0;
}
