/*
 * The ukl-opt runtime, linked into every application by `ukl-opt cc`: how
 * each level starts the program, and what any init system would set up
 * before main. It plays the part of crt1.o, and musl does the rest.
 *
 * - UKL levels: the kernel calls ukl_start(argc, argv, envp) in ring 0 (as
 *   ukl_app_main), with the auxiliary vector after envp as for any exec.
 * - linux: the same bitcode is an ordinary static /init entered at _start.
 *
 * Before main, at every level: /proc and /dev mounted, the loopback interface
 * up, eth0 at QEMU user networking's guest address (10.0.2.15/24) when
 * present, and stdout/stderr on the second serial port (ttyS1), so that what
 * the application writes is kept apart from the kernel's console (ttyS0).
 * Its syscalls are rewritten like the application's own.
 */
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv, char **envp);
int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
		      void (*init)(void), void (*fini)(void), void (*ldso)(void));

static void interface_up(int fd, const char *name)
{
	struct ifreq req;

	memset(&req, 0, sizeof(req));
	strncpy(req.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFFLAGS, &req) == 0) {
		req.ifr_flags |= IFF_UP | IFF_RUNNING;
		ioctl(fd, SIOCSIFFLAGS, &req);
	}
}

static void set_address(int fd, const char *name, in_addr_t addr, in_addr_t mask)
{
	struct ifreq req;
	struct sockaddr_in *in = (struct sockaddr_in *)&req.ifr_addr;

	memset(&req, 0, sizeof(req));
	strncpy(req.ifr_name, name, IFNAMSIZ - 1);
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = addr;
	ioctl(fd, SIOCSIFADDR, &req);
	in->sin_addr.s_addr = mask;
	ioctl(fd, SIOCSIFNETMASK, &req);
}

static void network_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return;
	interface_up(fd, "lo");
	set_address(fd, "eth0", htonl(0x0a00020f), htonl(0xffffff00));
	interface_up(fd, "eth0");
	close(fd);
}

/* stdout and stderr to ttyS1, without \n -> \r\n translation. */
static void output_to_ttyS1(void)
{
	struct termios t;
	int fd = open("/dev/ttyS1", O_RDWR | O_NOCTTY);

	if (fd < 0)
		return;
	if (tcgetattr(fd, &t) == 0) {
		t.c_oflag &= ~OPOST;
		tcsetattr(fd, TCSANOW, &t);
	}
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

/* What libc calls as main: the environment first, then the program's main. */
static int ukl_main(int argc, char **argv, char **envp)
{
	mkdir("/proc", 0555);
	mount("proc", "/proc", "proc", 0, 0);
	mount("devtmpfs", "/dev", "devtmpfs", 0, 0);
	output_to_ttyS1();
	network_up();
	return main(argc, argv, envp);
}

/* UKL levels: the kernel's entry into the application. argv and envp are
 * where exec put them, so libc finds the auxiliary vector after envp. */
int ukl_start(int argc, char **argv, char **envp)
{
	(void)envp;
	return __libc_start_main(ukl_main, argc, argv, 0, 0, 0);
}

/* linux level: the ELF entry point, with argc at the stack pointer. */
__attribute__((used)) static void ukl_linux_start(long *sp)
{
	__libc_start_main(ukl_main, (int)sp[0], (char **)(sp + 1), 0, 0, 0);
}

__attribute__((naked)) void _start(void)
{
	__asm__("xor %ebp, %ebp\n"
		"mov %rsp, %rdi\n"
		"and $-16, %rsp\n"
		"call ukl_linux_start\n"
		"hlt\n");
}

static int in_ring0(void)
{
	unsigned short cs;

	__asm__("mov %%cs, %0" : "=r"(cs));
	return (cs & 3) == 0;
}

/*
 * Every exit ends here (exit() after atexit handlers and stdio flushing,
 * _exit(), returning from main). In ring 0 the kernel reports the status
 * and restarts the machine when init exits; the linux level, an ordinary
 * init, says the same on the console and restarts it itself (QEMU runs with
 * -no-reboot, so it exits), instead of the kernel's panic for a dying init.
 * This definition takes the place of musl's _Exit in the link.
 */
_Noreturn void _Exit(int status)
{
	if (!in_ring0() && getpid() == 1) {
		char line[64];
		int fd = open("/dev/console", O_WRONLY | O_NOCTTY);
		int n = snprintf(line, sizeof(line), "ukl: application exited with status %d\n",
				 status & 0xff);

		if (fd >= 0 && n > 0)
			write(fd, line, n);
		reboot(RB_AUTOBOOT);
	}
	for (;;)
		syscall(SYS_exit_group, status);
}
