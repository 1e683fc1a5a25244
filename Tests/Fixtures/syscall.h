/* Raw x86-64 syscalls for the freestanding IR fixtures (no libc). Each is one
 * `syscall` instruction in inline asm: the sites ukl-opt rewrites for every tier. */
#ifndef UKL_APP_SYSCALL_H
#define UKL_APP_SYSCALL_H

static inline long ukl_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline long ukl_syscall3(long n, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline long ukl_syscall0(long n)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(n) : "rcx", "r11", "memory");
	return ret;
}

enum {
	SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_lseek = 8,
	SYS_mmap = 9, SYS_munmap = 11, SYS_brk = 12, SYS_rt_sigaction = 13, SYS_ioctl = 16,
	SYS_pipe = 22, SYS_dup2 = 33, SYS_getpid = 39, SYS_socket = 41, SYS_connect = 42,
	SYS_accept = 43, SYS_sendto = 44, SYS_recvfrom = 45, SYS_bind = 49, SYS_listen = 50,
	SYS_setsockopt = 54, SYS_exit = 60, SYS_kill = 62, SYS_mkdir = 83, SYS_getppid = 110,
	SYS_mount = 165, SYS_reboot = 169, SYS_exit_group = 231,
};

/* struct sockaddr_in, with port and address in network byte order. */
struct ukl_sockaddr_in {
	unsigned short family, port;
	unsigned int addr;
	char zero[8];
};

static inline long ukl_write(int fd, const void *buf, long len)
{
	return ukl_syscall3(SYS_write, fd, (long)buf, len);
}

static inline long ukl_strlen(const char *s)
{
	long n = 0;

	while (s[n])
		n++;
	return n;
}

static inline long ukl_puts(int fd, const char *s)
{
	return ukl_write(fd, s, ukl_strlen(s));
}

#endif
