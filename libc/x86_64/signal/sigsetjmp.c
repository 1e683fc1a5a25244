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
	__asm__("test %esi, %esi\n"
		"jz 1f\n"
		"popq 64(%rdi)\n"
		"mov %rbx, 80(%rdi)\n"
		"mov %rdi, %rbx\n"
		"call setjmp\n"
		"pushq 64(%rbx)\n"
		"mov %rbx, %rdi\n"
		"mov %eax, %esi\n"
		"mov 80(%rbx), %rbx\n"
		"jmp __sigsetjmp_tail\n"
		"1:\n"
		"jmp setjmp\n");
}

int __sigsetjmp(sigjmp_buf env, int savemask) __attribute__((alias("sigsetjmp"), returns_twice));

/* sigsetjmp reaches these only by name, from asm: keep them through
 * internalization and dead-code elimination. */
__attribute__((used)) static void *const sigsetjmp_callees[] = { (void *)setjmp, (void *)__sigsetjmp_tail };
