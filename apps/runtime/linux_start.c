/* The `linux` level: the application as an ordinary static program run as
 * /init. It reports its exit status on the console the way a UKL kernel does,
 * then restarts the machine (QEMU runs with -no-reboot, so it exits). */
#include "syscall.h"

int ukl_start(int argc, char **argv, char **envp);

#define UKL_REBOOT_MAGIC1	0xfee1dead
#define UKL_REBOOT_MAGIC2	672274793
#define UKL_RB_AUTOBOOT		0x01234567

__attribute__((used)) void ukl_linux_main(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	int status = ukl_start(argc, argv, envp) & 0xff;
	char line[] = "ukl: application exited with status ???\n";
	char *p = line + sizeof("ukl: application exited with status ") - 1;

	if (status >= 100)
		*p++ = '0' + status / 100;
	if (status >= 10)
		*p++ = '0' + status / 10 % 10;
	*p++ = '0' + status % 10;
	*p++ = '\n';
	/* fd 0 is still the console: the kernel opened it for init. */
	ukl_write(0, line, p - line);
	ukl_syscall3(SYS_reboot, UKL_REBOOT_MAGIC1, UKL_REBOOT_MAGIC2, UKL_RB_AUTOBOOT);
	ukl_syscall3(SYS_exit_group, status, 0, 0);
}

__asm__(".globl _start\n"
	"_start:\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call ukl_linux_main\n"
	"	hlt\n");

/* The compiler may call these for copies and zeroing; the kernel provides
 * them at the UKL levels, this program itself at the linux level. */
void *memset(void *dst, int c, unsigned long n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

void *memcpy(void *dst, const void *src, unsigned long n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}
