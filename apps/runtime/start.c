/* What any init system provides, set up before main at every level (linux,
 * base, bypass, ...): /proc and /dev mounted, the loopback interface up, eth0
 * at QEMU user networking's guest address (10.0.2.15/24) when present, and
 * stdout/stderr on the second serial port (ttyS1), so that what the
 * application writes is kept apart from the kernel's console (ttyS0).
 * Its syscalls are rewritten like the application's own. */
#include "syscall.h"

int main(int argc, char **argv, char **envp);

struct ukl_ifreq {
	char name[16];
	short flags;
	char pad[22];
};

struct ukl_ifreq_addr {
	char name[16];
	unsigned short family, port;
	unsigned int addr;
	char pad[16];
};

struct ukl_termios {
	unsigned int iflag, oflag, cflag, lflag;
	unsigned char line, cc[19];
};

#define UKL_AF_INET	2
#define UKL_SOCK_DGRAM	2
#define UKL_SIOCGIFFLAGS 0x8913
#define UKL_SIOCSIFFLAGS 0x8914
#define UKL_SIOCSIFADDR	0x8916
#define UKL_SIOCSIFNETMASK 0x891c
#define UKL_IFF_UP	0x1
#define UKL_IFF_RUNNING	0x40
#define UKL_TCGETS	0x5401
#define UKL_TCSETS	0x5402
#define UKL_OPOST	0x1
#define UKL_O_RDWR	2
#define UKL_O_NOCTTY	0400

static void interface_up(long fd, const char *name)
{
	struct ukl_ifreq req = { { 0 } };
	int i;

	for (i = 0; name[i] && i < 15; i++)
		req.name[i] = name[i];
	if (ukl_syscall3(SYS_ioctl, fd, UKL_SIOCGIFFLAGS, (long)&req) == 0) {
		req.flags |= UKL_IFF_UP | UKL_IFF_RUNNING;
		ukl_syscall3(SYS_ioctl, fd, UKL_SIOCSIFFLAGS, (long)&req);
	}
}

static void set_address(long fd, const char *name, unsigned int addr, unsigned int mask)
{
	struct ukl_ifreq_addr req = { { 0 } };
	int i;

	for (i = 0; name[i] && i < 15; i++)
		req.name[i] = name[i];
	req.family = UKL_AF_INET;
	req.addr = addr;
	ukl_syscall3(SYS_ioctl, fd, UKL_SIOCSIFADDR, (long)&req);
	req.addr = mask;
	ukl_syscall3(SYS_ioctl, fd, UKL_SIOCSIFNETMASK, (long)&req);
}

static void network_up(void)
{
	long fd = ukl_syscall3(SYS_socket, UKL_AF_INET, UKL_SOCK_DGRAM, 0);

	if (fd < 0)
		return;
	interface_up(fd, "lo");
	/* 10.0.2.15/24, in network byte order. */
	set_address(fd, "eth0", 0x0f02000a, 0x00ffffff);
	interface_up(fd, "eth0");
	ukl_syscall3(SYS_close, fd, 0, 0);
}

/* stdout and stderr to ttyS1, without \n -> \r\n translation. */
static void output_to_ttyS1(void)
{
	struct ukl_termios t;
	long fd = ukl_syscall3(SYS_open, (long)"/dev/ttyS1", UKL_O_RDWR | UKL_O_NOCTTY, 0);

	if (fd < 0)
		return;
	if (ukl_syscall3(SYS_ioctl, fd, UKL_TCGETS, (long)&t) == 0) {
		t.oflag &= ~UKL_OPOST;
		ukl_syscall3(SYS_ioctl, fd, UKL_TCSETS, (long)&t);
	}
	ukl_syscall3(SYS_dup2, fd, 1, 0);
	ukl_syscall3(SYS_dup2, fd, 2, 0);
	if (fd > 2)
		ukl_syscall3(SYS_close, fd, 0, 0);
}

int ukl_start(int argc, char **argv, char **envp)
{
	ukl_syscall3(SYS_mkdir, (long)"/proc", 0555, 0);
	ukl_syscall6(SYS_mount, (long)"proc", (long)"/proc", (long)"proc", 0, 0, 0);
	ukl_syscall6(SYS_mount, (long)"devtmpfs", (long)"/dev", (long)"devtmpfs", 0, 0, 0);
	output_to_ttyS1();
	network_up();
	return main(argc, argv, envp);
}
