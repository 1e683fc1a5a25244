/* musl's src/signal/x86_64/sigsetjmp.s as C (musl's generic sigsetjmp.c is
 * empty). It enters the kernel only through __sigsetjmp_tail, which is C. */
#include <setjmp.h>
#include <features.h>

hidden int __sigsetjmp_tail(sigjmp_buf, int);

/* With savemask, the return address and rbx are kept in the sigjmp_buf
 * (musl's layout: __fl at 64, __ss after it) while setjmp runs, and
 * __sigsetjmp_tail saves or restores the signal mask. */
__attribute__((naked, returns_twice)) int sigsetjmp(sigjmp_buf env, int savemask)
{
	/* The callees are operands, not names in the text: LTO renames and
	 * internalizes them when it links the application into the kernel. */
	__asm__("test %%esi, %%esi\n"
		"jz 1f\n"
		"popq 64(%%rdi)\n"
		"mov %%rbx, 80(%%rdi)\n"
		"mov %%rdi, %%rbx\n"
		"call %P0\n"
		"pushq 64(%%rbx)\n"
		"mov %%rbx, %%rdi\n"
		"mov %%eax, %%esi\n"
		"mov 80(%%rbx), %%rbx\n"
		"jmp %P1\n"
		"1:\n"
		"jmp %P0\n"
		:
		: "i"(setjmp), "i"(__sigsetjmp_tail));
}

int __sigsetjmp(sigjmp_buf env, int savemask) __attribute__((alias("sigsetjmp"), returns_twice));
