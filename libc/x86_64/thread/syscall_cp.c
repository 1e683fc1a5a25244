/* musl's src/thread/x86_64/syscall_cp.s as C: the cancellable syscall.
 * pthread_cancel's signal handler treats a thread interrupted between
 * __cp_begin and __cp_end as cancelled, so the labels must bracket the
 * syscall exactly as in the original; apply replaces the syscall with the
 * two-byte call of the entry, which keeps it inside the bracket (a restarted
 * call points back at it). __cancel is an operand, not a name in the text:
 * LTO renames the application's functions, and the kernel's link would not
 * find the old name. */
#include <features.h>

hidden long __cancel(void);

__attribute__((naked)) hidden long __syscall_cp_asm(volatile int *cancel, long nr, long u, long v,
						 long w, long x, long y, long z)
{
	__asm__(".globl __cp_begin\n"
		".hidden __cp_begin\n"
		".globl __cp_end\n"
		".hidden __cp_end\n"
		".globl __cp_cancel\n"
		".hidden __cp_cancel\n"
		"__cp_begin:\n"
		"mov (%%rdi), %%eax\n"
		"test %%eax, %%eax\n"
		"jnz __cp_cancel\n"
		"mov %%rdi, %%r11\n"
		"mov %%rsi, %%rax\n"
		"mov %%rdx, %%rdi\n"
		"mov %%rcx, %%rsi\n"
		"mov %%r8, %%rdx\n"
		"mov %%r9, %%r10\n"
		"mov 8(%%rsp), %%r8\n"
		"mov 16(%%rsp), %%r9\n"
		"mov %%r11, 8(%%rsp)\n"
		"syscall\n"
		"__cp_end:\n"
		"ret\n"
		"__cp_cancel:\n"
		"jmp %P0\n"
		:
		: "i"(__cancel));
}
