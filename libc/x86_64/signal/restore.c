/* musl's src/signal/x86_64/restore.s as C: the signal return trampoline that
 * sigaction installs as sa_restorer. A naked function, so it is exactly
 * "rt_sigreturn" with the stack the kernel left; apply turns its syscall into
 * the entry at every level (rt_sigreturn needs the full register frame). */
#include <features.h>

__attribute__((naked)) hidden void __restore_rt(void)
{
	__asm__("mov $15, %eax\n"
		"syscall\n");
}

hidden void __restore(void) __attribute__((alias("__restore_rt")));
