/* musl's src/thread/x86_64/__set_thread_area.s as C: the thread pointer
 * goes into the FS base with arch_prctl, a syscall site that apply rewrites
 * like any other. (musl's generic __set_thread_area.c would use
 * set_thread_area, which sets an i386 TLS descriptor, not the FS base.) */
#include "syscall.h"

#define ARCH_SET_FS 0x1002

hidden int __set_thread_area(void *p)
{
	return __syscall(SYS_arch_prctl, ARCH_SET_FS, p);
}
